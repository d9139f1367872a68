# A Python producer for the TypeScript worker in python-consumer.ts (pip install hotqueue).
import json
import pickle
import sys

from hotqueue import HotQueue

# hotqueue pickles by default; with --json it sends JSON (give --json to the TypeScript side too).
serializer = json if "--json" in sys.argv[1:] else pickle
queue = HotQueue("texts", serializer=serializer, host="localhost", port=6379, db=0)

queue.put(
    {"id": 1, "text": "to be or not to be"},
    {"id": 2, "text": "the quick brown fox jumps over the lazy dog"},
)
queue.put(None)  # the poison pill: the worker stops when it takes it
