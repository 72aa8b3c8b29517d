"""Organizers' webhooks (API.md "Webhooks"): HTTPS endpoints registered for some message types,
each consumed message turned into a signed delivery per matching endpoint — an outbox of its
own (``webhook_delivery``), written in the consumer's transaction and sent after it by
:mod:`.sender`, retried with backoff for a day.

- :mod:`.urls` — which URLs may be called (SSRF: public addresses over https only, checked on
  registration and again, pinned, on every attempt);
- :mod:`.signing` — ``Ticketing-Signature: t=<unix seconds>,v1=<HMAC-SHA256>``;
- :mod:`.service` — the use cases and the fan-out of a message;
- :mod:`.sender` — deliveries out, never more than a few at once per endpoint;
- :mod:`.routes` — ``/api/notifications/webhooks``.
"""
