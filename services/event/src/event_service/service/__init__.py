"""Use cases of the event service: one use case = one transaction; messages via the outbox.

Callers import the module of the use case (``from event_service.service import holds``):
``context.py`` builds the facts cache of this package, and every use case takes the context.
"""
