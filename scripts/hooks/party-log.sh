#!/bin/sh
# Example PartyBus exec hook: any program can be a plugin.
#
# PartyBus writes each event this hook subscribes to as one JSON line on stdin (the `events export --jsonl`
# form). Whatever the hook prints on stdout as a JSON object {"type": ..., "payload": {...}} is published back
# into the event log on the stream plugin/<name>; other lines become hook.output events. stderr goes to the log.
#
# This one keeps a human-readable party journal in its data folder and greets members who join.
set -eu
journal="${PARTYBUS_PLUGIN_DATA:-.}/journal.txt"

while IFS= read -r line; do
  type=$(printf '%s' "$line" | sed -n 's/.*"type":"\([^"]*\)".*/\1/p')
  seq=$(printf '%s' "$line" | sed -n 's/^{"seq":\([0-9]*\).*/\1/p')
  printf '%s #%s %s\n' "$(date -u +%H:%M:%S)" "$seq" "$type" >> "$journal"
  case "$type" in
    *member_joined)
      who=$(printf '%s' "$line" | sed -n 's/.*"onlineId":"\([^"]*\)".*/\1/p')
      printf '{"type":"hook.greeted","payload":{"onlineId":"%s","seq":%s}}\n' "$who" "$seq"
      ;;
  esac
done
