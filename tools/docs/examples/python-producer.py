# A Python producer for the TypeScript worker in python-consumer.ts.
# Needs Python 3 with the redis and hotqueue modules: pip install redis hotqueue
import json
import os
import pickle
import sys
from urllib.parse import urlparse

from hotqueue import HotQueue

# The same Redis as the TypeScript side: REDIS_URL, else redis://127.0.0.1:6379/0.
url = urlparse(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
redis = dict(
    host=url.hostname or "127.0.0.1",
    port=url.port or 6379,
    db=int(url.path.strip("/") or 0),
    password=url.password,
    ssl=url.scheme == "rediss",
)

# hotqueue pickles by default; with --json it sends JSON (give --json to the TypeScript side too).
serializer = json if "--json" in sys.argv[1:] else pickle
queue = HotQueue("texts", serializer=serializer, **redis)

queue.put(
    {"id": 1, "text": "to be or not to be"},
    {"id": 2, "text": "the quick brown fox jumps over the lazy dog"},
)
queue.put(None)  # the poison pill: the worker stops when it takes it
print(f"put 3 items on hotqueue:texts ({serializer.__name__})")
