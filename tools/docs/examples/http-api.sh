#!/usr/bin/env bash
# The HTTP API with curl: submit a word-count job, follow it to its end, read its result.
# Start the system first (npm start); API is the address it prints (default: port $PORT, else 3000).
set -euo pipefail
API=${API:-http://127.0.0.1:${PORT:-3000}}

# Submit. The answer is 201 Created with Location: /jobs/<id>, and the job itself.
job=$(curl -sS -X POST "$API/jobs" \
  -H 'Content-Type: application/json' \
  -d '{"type": "wordcount", "params": {"text": "to be or not to be, that is the question"}}')
echo "$job"
id=$(echo "$job" | sed -E 's/.*"id":"([0-9A-Z]{26})".*/\1/')

# Follow it: Server-Sent Events, the job's current state first, until it ends.
curl -sS -N "$API/jobs/$id/events"

# The job record, then its result.
curl -sS "$API/jobs/$id"; echo
curl -sS "$API/jobs/$id/result"; echo

# A mistake is a 400 that names the field and the rule.
curl -sS -X POST "$API/jobs" -H 'Content-Type: application/json' -d '{"type": "Word Count"}'; echo

# Counts by status, queue depths, live workers, throughput.
curl -sS "$API/stats"; echo
