from __future__ import annotations

import json
import logging

import pytest

from shared.logging import configure_logging, get_logger, request_id_var


def test_log_lines_are_json_with_service_and_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("booking", level="INFO")
    token = request_id_var.set("req-42")
    try:
        get_logger("test").info("booking_created", booking_id="b1")
        logging.getLogger("uvicorn.error").warning("from the stdlib")
    finally:
        request_id_var.reset(token)
    lines = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert lines[0]["event"] == "booking_created" and lines[0]["request_id"] == "req-42"
    assert lines[0]["service"] == "booking" and lines[0]["level"] == "info"
    assert lines[1]["event"] == "from the stdlib" and lines[1]["request_id"] == "req-42"


def test_events_below_the_level_are_not_written(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("booking", level="WARNING")
    get_logger("test").info("chatty")
    get_logger("test").warning("worth_saying")
    lines = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [line["event"] for line in lines] == ["worth_saying"]


def test_uvicorn_access_lines_are_not_written_twice(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("booking", level="INFO")
    logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET / HTTP/1.1" 200')
    assert capsys.readouterr().out == ""  # the request middleware's own line is the one kept
