#!/usr/bin/env python3
"""Publishes one event into the ledger through ingest's POST /events (standard library only).

    python3 post_event.py [order-id] [total-cents]

Environment (defaults: `npm start`'s development client "orders", which may write source "orders"):
    INGEST_URL          http://127.0.0.1:8080
    INGEST_EVENT_TOKEN  dev-events-token-not-for-production (its entry in INGEST_EVENT_TOKENS)
Prints ingest's answer, {"eventId": "..."}, once the broker has stored the event.
"""
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone

url = os.environ.get("INGEST_URL", "http://127.0.0.1:8080").rstrip("/") + "/events"
token = os.environ.get("INGEST_EVENT_TOKEN", "dev-events-token-not-for-production")
order_id = sys.argv[1] if len(sys.argv) > 1 else f"ord_{int(time.time())}_{secrets.token_hex(2)}"
total = int(sys.argv[2]) if len(sys.argv) > 2 else 1999
# When the order was placed; part of the body, so give the same time when sending the same order again.
placed_at = sys.argv[3] if len(sys.argv) > 3 else datetime.now(timezone.utc).isoformat()
# One key per event, reused by every retry of it: ingest publishes the event once.
key = f"orders-{order_id}-v1"

body = json.dumps(
    {
        "source": "orders",
        "providerEventId": key,
        "type": "order.created",
        "entityType": "order",
        "entityId": order_id,
        "entityVersion": 1,
        "occurredAt": placed_at,
        "payload": {"orderId": order_id, "totalCents": total, "currency": "eur"},
    }
).encode()
headers = {
    "Authorization": f"Bearer {token}",
    "Content-Type": "application/json",
    "Idempotency-Key": key,
}

for attempt in range(6):
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            print(response.read().decode())
            sys.exit(0)
    except urllib.error.HTTPError as err:
        answer = err.read().decode()
        # 5xx (503: Kafka unavailable), 429 and anything with Retry-After (409: the first request
        # with this key is still in progress) are worth a retry with the same key; every other
        # answer names a problem with the request that a retry will not fix.
        if err.code < 500 and err.code != 429 and err.headers.get("Retry-After") is None:
            print(f"{err.code}: {answer}", file=sys.stderr)
            sys.exit(1)
        delay = float(err.headers.get("Retry-After") or 2**attempt)
        print(f"{err.code}, retrying in {delay:g} s: {answer}", file=sys.stderr)
    except (urllib.error.URLError, TimeoutError) as err:
        delay = 2**attempt
        print(f"ingest unreachable ({err}), retrying in {delay} s", file=sys.stderr)
    time.sleep(delay)
print("gave up after 6 attempts", file=sys.stderr)
sys.exit(1)
