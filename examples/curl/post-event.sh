#!/bin/sh
# Publishes one event into the ledger through ingest's POST /events, with nothing but curl.
#
#   ./post-event.sh [order-id] [total-cents]
#
# Environment (defaults: `npm start`'s development client "orders", which may write source "orders"):
#   INGEST_URL          http://127.0.0.1:8080
#   INGEST_EVENT_TOKEN  dev-events-token-not-for-production (its entry in INGEST_EVENT_TOKENS)
# Prints ingest's answer, {"eventId":"…"}, once the broker has stored the event.
set -eu

url=${INGEST_URL:-http://127.0.0.1:8080}
token=${INGEST_EVENT_TOKEN:-dev-events-token-not-for-production}
order_id=${1:-ord_$(date +%s)_$RANDOM}
total=${2:-1999}
# When the order was placed; part of the body, so give the same time when sending the same order again.
placed_at=${3:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}
# One key per event, reused by every retry of it: ingest publishes the event once.
key="orders-$order_id-v1"

# --retry resends on 503 (Kafka unavailable; ingest sends Retry-After, which curl waits for),
# 5xx and timeouts; the same Idempotency-Key makes a resend safe.
curl --silent --show-error --fail-with-body --retry 5 --retry-max-time 60 \
  -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' \
  -H "Idempotency-Key: $key" \
  --data @- "$url/events" <<JSON
{
  "source": "orders",
  "providerEventId": "$key",
  "type": "order.created",
  "entityType": "order",
  "entityId": "$order_id",
  "entityVersion": 1,
  "occurredAt": "$placed_at",
  "payload": { "orderId": "$order_id", "totalCents": $total, "currency": "eur" }
}
JSON
echo
