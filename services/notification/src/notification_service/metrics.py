"""The notification service's business metrics (names from DESIGN.md, "Observability")."""

from __future__ import annotations

from prometheus_client import Counter

WEBHOOK_DELIVERY_ATTEMPTS = Counter(
    "ticketing_webhook_deliveries_total",
    "Webhook delivery attempts by outcome: delivered (a 2xx answer), retried (any other answer "
    "or none; tried again later), failed (given up at the deadline).",
    ["outcome"],
)
WEBHOOK_DELIVERIES = {
    outcome: WEBHOOK_DELIVERY_ATTEMPTS.labels(outcome)
    for outcome in ("delivered", "retried", "failed")
}
