#!/usr/bin/env python3
"""A PartyBus webhook receiver that verifies every delivery (docs/plugins.md "Webhook").

Verification, in order:
  1. PartyBus-Timestamp is within 300 s of now (a captured request cannot be replayed later);
  2. PartyBus-Signature == "v1=" + hex(HMAC-SHA256(secret, f"{timestamp}.{body}")), compared in constant time;
  3. PartyBus-Delivery (<plugin>:<seq>, the same on every retry) was not accepted before (retries are at-least-once).

Paths choose the answer, for trying retries out: /status/<code> always answers <code>; /flaky/<n> answers 500 to the
first <n> tries of each delivery, then 200; anything else answers 200. A bad signature or stale timestamp gets 401.

    scripts/examples/webhook-receiver.py --port 8080 --secret-file webhook.secret --log deliveries.jsonl

Standard library only; listens on 127.0.0.1.
"""
import argparse
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

TOLERANCE_S = 300


def verify(secret: bytes, timestamp: str, body: bytes, signature: str, now: float) -> tuple[bool, bool]:
    """(signature valid, timestamp fresh)."""
    try:
        fresh = abs(now - int(timestamp)) <= TOLERANCE_S
    except ValueError:
        return False, False
    expected = "v1=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature), fresh


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--secret-file", help="without it nothing is verified (a plain notification sink)")
    parser.add_argument("--log", help="append one JSON line per request here")
    args = parser.parse_args()
    secret = None
    if args.secret_file:
        with open(args.secret_file, "rb") as f:
            secret = f.read().strip()
    tries: dict[str, int] = {}
    accepted: set[str] = set()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > 10 * 1024 * 1024:
                self.send_error(413)
                return
            body = self.rfile.read(length)
            timestamp = self.headers.get("PartyBus-Timestamp", "")
            signature = self.headers.get("PartyBus-Signature", "")
            delivery = self.headers.get("PartyBus-Delivery", "")
            now = time.time()
            valid, fresh = verify(secret, timestamp, body, signature, now) if secret is not None else (False, False)
            with lock:
                tries[delivery] = tries.get(delivery, 0) + 1
                attempt = tries[delivery]
                duplicate = delivery in accepted
                parts = urlsplit(self.path).path.strip("/").split("/")
                if secret is not None and not (valid and fresh):
                    status = 401
                elif len(parts) == 2 and parts[0] == "status" and parts[1].isdigit():
                    status = int(parts[1])
                elif len(parts) == 2 and parts[0] == "flaky" and parts[1].isdigit() and attempt <= int(parts[1]):
                    status = 500
                else:
                    status = 200
                if status == 200:
                    accepted.add(delivery)
            try:
                event = json.loads(body)
            except ValueError:
                event = {}
            if not isinstance(event, dict):
                event = {}
            record = {
                "path": urlsplit(self.path).path, "delivery": delivery, "attempt": attempt, "timestamp": timestamp,
                "receivedAt": now, "signatureValid": valid, "fresh": fresh, "duplicate": duplicate,
                "status": status, "type": event.get("type"), "seq": event.get("seq"),
                "payload": event.get("payload"),
                "body": body[:2000].decode("utf-8", "replace"), "title": self.headers.get("Title"),
            }
            if args.log:
                with lock, open(args.log, "a") as f:
                    f.write(json.dumps(record) + "\n")
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *rest: object) -> None:
            sys.stderr.write("webhook-receiver: " + (format % rest) + "\n")

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
