#!/bin/sh
# Demo traffic for the compose stack: a bounded mix of plain and streamed chat
# completions with the demo key, plus a few requests that fail on purpose
# (unknown key: 401, unknown model: 404) so the error panels have data.
#   SWITCHYARD_URL (default http://localhost:8080), REQUESTS (default 300),
#   PER_SECOND (default 5; 0 = as fast as possible), MODEL (default demo)
set -u
url="${SWITCHYARD_URL:-http://localhost:8080}"
requests="${REQUESTS:-300}"
per_second="${PER_SECOND:-5}"
model="${MODEL:-demo}"
key="${SWITCHYARD_KEY:-sk-sy-demo-0000000000000000000000000000}"

pause=0
if [ "$per_second" -gt 0 ] 2>/dev/null; then pause=$(awk "BEGIN { printf \"%.3f\", 1 / $per_second }"); fi

send() { # $1 = bearer token, $2 = JSON body; prints the HTTP status
  curl -sS -o /dev/null -w '%{http_code}' --max-time 30 \
    -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
    -d "$2" "$url/v1/chat/completions" 2>/dev/null || printf '000'
}

ok=0; failed=0; i=1
while [ "$i" -le "$requests" ]; do
  case $((i % 20)) in
    7)  status=$(send "sk-sy-not-a-real-key" "{\"model\":\"$model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}") ;;
    13) status=$(send "$key" '{"model":"no-such-model","messages":[{"role":"user","content":"hi"}]}') ;;
    *)  if [ $((i % 3)) -eq 0 ]; then stream=true; else stream=false; fi
        status=$(send "$key" "{\"model\":\"$model\",\"stream\":$stream,\"messages\":[{\"role\":\"user\",\"content\":\"demo request $i\"}]}") ;;
  esac
  case "$status" in 2??) ok=$((ok + 1)) ;; *) failed=$((failed + 1)) ;; esac
  if [ $((i % 100)) -eq 0 ]; then echo "load: $i/$requests sent ($ok ok, $failed not ok)"; fi
  i=$((i + 1))
  if [ "$pause" != 0 ]; then sleep "$pause"; fi
done
echo "load: done, $requests requests ($ok ok, $failed not ok)"
