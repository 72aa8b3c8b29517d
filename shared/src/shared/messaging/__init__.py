"""The messaging runtime: envelope, topology, broker, outbox + relay, inbox, consumer."""

from shared.messaging import outbox
from shared.messaging.broker import Broker
from shared.messaging.consumer import Consumer, Handler
from shared.messaging.envelope import Envelope, PoisonMessage
from shared.messaging.outbox import OutboxRelay
from shared.messaging.topology import Names

__all__ = [
    "Broker",
    "Consumer",
    "Envelope",
    "Handler",
    "Names",
    "OutboxRelay",
    "PoisonMessage",
    "outbox",
]
