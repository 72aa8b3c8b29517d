"""Prometheus metrics: HTTP (recorded by the request middleware) and messaging.

Collectors are module-level and labelled by ``service`` so that several services can share one
process in tests. Labels stay low-cardinality: route templates, never ids.
"""

from __future__ import annotations

from fastapi import Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests answered.", ["service", "method", "handler", "status"]
)
HTTP_DURATION = Histogram(
    "http_request_duration_seconds",
    "HTTP request duration.",
    ["service", "method", "handler"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
MESSAGES_PUBLISHED = Counter(
    "ticketing_messages_published_total",
    "Messages published by the outbox relay.",
    ["service", "type"],
)
MESSAGES_CONSUMED = Counter(
    "ticketing_messages_consumed_total",
    "Messages consumed, by outcome (handled, duplicate, retried, dead_lettered).",
    ["service", "type", "outcome"],
)
CONSUMER_SECONDS = Histogram(
    "ticketing_consumer_handle_seconds", "Time to handle one message.", ["service", "type"]
)
OUTBOX_PENDING = Gauge(
    "ticketing_outbox_pending_messages", "Outbox rows not yet published.", ["service"]
)
OUTBOX_OLDEST = Gauge(
    "ticketing_outbox_oldest_pending_seconds",
    "Age of the oldest outbox row not yet published (0 when none), updated every relay round.",
    ["service"],
)
DEAD_LETTERS = Gauge(
    "ticketing_dead_letters",
    "Messages waiting in the service's dead-letter queue (counted every few seconds).",
    ["service"],
)
OVERSOLD = Gauge(
    "ticketing_oversold_seats",
    "Places sold twice, recomputed from PostgreSQL every few seconds; must read 0. Event: "
    "general-admission places sold past their tier's capacity; booking: seats in two live "
    "bookings.",
    ["service"],
)


async def metrics(_request: Request) -> Response:
    """``GET /metrics`` on the service port (the gateway never routes it)."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
