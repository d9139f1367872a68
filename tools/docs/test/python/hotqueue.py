"""A stand-in for Python's hotqueue 0.2.8, for the tests of tools/docs only.

PyPI cannot be reached where hotq is built, so `pip install hotqueue` cannot run there. This module
does what hotqueue's HotQueue does for the calls the tutorial makes, on the real redis module
(Debian's python3-redis): the connection is redis.Redis(**kwargs), the key is "hotqueue:<name>",
and put() encodes each message with serializer.dumps and sends them all in one RPUSH. So the bytes
in Redis are exactly those a real hotqueue producer writes.
"""
import pickle

from redis import Redis


class HotQueue(object):
    def __init__(self, name, serializer=pickle, **kwargs):
        self.name = name
        self.serializer = serializer
        self._redis = Redis(**kwargs)

    @property
    def key(self):
        return "hotqueue:%s" % self.name

    def __len__(self):
        return self._redis.llen(self.key)

    def put(self, *msgs):
        if self.serializer is not None:
            msgs = [self.serializer.dumps(msg) for msg in msgs]
        self._redis.rpush(self.key, *msgs)
