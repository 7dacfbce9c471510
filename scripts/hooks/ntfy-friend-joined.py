#!/usr/bin/env python3
"""PartyBus exec hook: a phone notification (ntfy-style HTTP POST) when a friend joins a party we are in.

Configure it (docs/plugins.md "Example: notify when a friend joins"):

    plugins:
      friend-joined:
        exec: ["scripts/hooks/ntfy-friend-joined.py"]
        events: ["party.*"]
        options:
          env:
            NTFY_URL: https://ntfy.sh/my-secret-topic   # any URL taking a text POST (ntfy, a Gotify-style relay, ...)
            FRIENDS: sim-alice,2000000000000000002       # online ids or account ids; empty: everyone

It reads one JSON event per line on stdin, remembers party names from party.created / party.snapshot /
party.updated, and on party.member_joined of a friend POSTs "<who> joined <party>" with ntfy's Title and Tags
headers. It prints one draft per notification on stdout, flushed at once: notify.sent {onlineId, sessionId, status}
or notify.failed {onlineId, sessionId, error}, correlated seq:N to the join. With PARTYBUS_DRY_RUN=1 (what `partybus plugins test` sets) it
posts nothing and says what it would have sent.
"""
import json
import os
import sys
import urllib.error
import urllib.request

URL = os.environ.get("NTFY_URL", "")
FRIENDS = {f.strip() for f in os.environ.get("FRIENDS", "").split(",") if f.strip()}
DRY_RUN = os.environ.get("PARTYBUS_DRY_RUN") == "1"
names: dict[str, str] = {}


def publish(kind: str, payload: dict, seq: int) -> None:
    # flush: a pipe makes Python's stdout block-buffered, and an unflushed draft is not published until exit.
    print(json.dumps({"type": kind, "payload": payload, "correlation": f"seq:{seq}"}), flush=True)


def notify(who: str, session_id: str, seq: int) -> None:
    party = names.get(session_id) or "a party"
    text = f"{who} joined {party}"
    if DRY_RUN or not URL:
        print(f"would POST {text!r} to {URL or '(NTFY_URL not set)'}", file=sys.stderr, flush=True)
        publish("notify.sent", {"onlineId": who, "sessionId": session_id, "status": 0, "dryRun": True}, seq)
        return
    request = urllib.request.Request(URL, data=text.encode(), method="POST",
                                     headers={"Title": "PartyBus", "Tags": "video_game"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            publish("notify.sent", {"onlineId": who, "sessionId": session_id, "status": response.status}, seq)
    except (urllib.error.URLError, OSError) as error:
        publish("notify.failed", {"onlineId": who, "sessionId": session_id, "error": str(error)[:500]}, seq)


for line in sys.stdin:
    try:
        event = json.loads(line)
        payload = event.get("payload") or {}
        kind = event.get("type")
        if kind == "party.created":
            names[payload["sessionId"]] = payload.get("sessionName") or ""
        elif kind == "party.snapshot":
            party = payload.get("party") or {}
            names[party.get("sessionId", "")] = party.get("sessionName") or ""
        elif kind == "party.updated" and payload.get("field") == "sessionName":
            names[payload["sessionId"]] = payload.get("value") or ""
        elif kind == "party.member_joined":
            member = payload.get("member") or {}
            who = member.get("onlineId") or member.get("accountId", "?")
            if not FRIENDS or who in FRIENDS or member.get("accountId") in FRIENDS:
                notify(who, payload.get("sessionId", ""), event.get("seq", 0))
    except (ValueError, KeyError, TypeError) as error:
        print(f"skipped a line: {error}", file=sys.stderr, flush=True)
