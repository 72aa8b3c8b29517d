"""Which database errors are the caller's (422), which a moment's outage (503), which ours."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, InterfaceError

from shared.errors import is_connection_lost, is_data_error


class _Driver(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


class InternalClientError(Exception):
    """asyncpg's name for a connection left mid-operation by a dropped one."""


def test_a_database_going_away_is_a_lost_connection_and_not_a_bad_value() -> None:
    for sqlstate in ("57P01", "57P03", "08006", "08001"):  # shutdown, starting, cut, refused
        gone = DBAPIError("SELECT 1", {}, _Driver(sqlstate))
        assert is_connection_lost(gone) and not is_data_error(gone), sqlstate
    assert is_connection_lost(InterfaceError("SELECT 1", {}, Exception("connection is closed")))
    assert is_connection_lost(DBAPIError("SELECT 1", {}, InternalClientError("state 12")))
    assert is_connection_lost(DBAPIError("SELECT 1", {}, ConnectionRefusedError(111, "refused")))


def test_a_bad_value_or_another_failure_is_no_lost_connection() -> None:
    too_big = DBAPIError("INSERT", {}, _Driver("22003"))
    assert is_data_error(too_big) and not is_connection_lost(too_big)
    unique = DBAPIError("INSERT", {}, _Driver("23505"))  # a real bug if it reaches the handler
    assert not is_connection_lost(unique) and not is_data_error(unique)
    assert not is_connection_lost(ValueError("not a database error"))
