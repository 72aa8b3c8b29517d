"""The connection to RabbitMQ: robust (reconnects and re-declares), publisher confirms on."""

from __future__ import annotations

import asyncio

import aio_pika
from aio_pika.abc import AbstractExchange, AbstractRobustChannel, AbstractRobustConnection

from shared.messaging.topology import Names, declare_exchange


class NotConnected(ConnectionError):
    """The broker was used before ``connect()`` or after ``close()``."""


def _robust(channel: object) -> AbstractRobustChannel:
    """A robust connection's channels are robust (aio-pika types them as plain channels)."""
    if not isinstance(channel, AbstractRobustChannel):
        raise TypeError(f"expected a robust channel, got {type(channel).__name__}")
    return channel


class Broker:
    """One robust connection per process; a confirming channel for publishing."""

    def __init__(self, url: str, names: Names) -> None:
        self.url = url
        self.names = names
        self.connection: AbstractRobustConnection | None = None
        self._channel: AbstractRobustChannel | None = None
        self._exchange: AbstractExchange | None = None

    async def connect(self, *, timeout: float = 10) -> None:
        self.connection = await aio_pika.connect_robust(self.url, timeout=timeout)
        channel = _robust(await self.connection.channel(publisher_confirms=True))
        self._channel = channel
        self._exchange = await declare_exchange(channel, self.names)

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()
            self.connection = None

    @property
    def is_connected(self) -> bool:
        return self.connection is not None and not self.connection.is_closed

    async def ping(self) -> None:
        if not self.is_connected or self._channel is None or self._channel.is_closed:
            raise ConnectionError("broker connection is closed")

    async def channel(self, *, prefetch: int) -> AbstractRobustChannel:
        """A new channel (consumers use their own, with a bounded prefetch)."""
        if self.connection is None:
            raise NotConnected("connect() first")
        channel = _robust(await self.connection.channel())
        await channel.set_qos(prefetch_count=prefetch)
        return channel

    async def publish(
        self,
        body: bytes,
        *,
        routing_key: str,
        message_id: str,
        correlation_id: str | None = None,
        timeout: float = 10,
    ) -> None:
        """Publish one persistent message and wait for the broker's confirm."""
        if self._exchange is None:
            raise NotConnected("connect() first")
        message = aio_pika.Message(
            body,
            message_id=message_id,
            type=routing_key,
            correlation_id=correlation_id,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        await asyncio.wait_for(
            self._exchange.publish(message, routing_key=routing_key), timeout=timeout
        )
