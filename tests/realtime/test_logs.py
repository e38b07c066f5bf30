"""Log lines are JSON objects that carry the request id of the request that wrote them."""

from __future__ import annotations

import json
import logging

from realtime.logs import JsonFormatter, current_request_id


def test_json_line_carries_request_id_and_extra_fields() -> None:
    record = logging.LogRecord("flourish.test", logging.INFO, __file__, 1, "held %s", ("b1",), None)
    record.booking_id = "b1"
    token = current_request_id.set("req-42")
    try:
        line = JsonFormatter().format(record)
    finally:
        current_request_id.reset(token)
    entry = json.loads(line)
    assert entry["msg"] == "held b1"
    assert entry["level"] == "info"
    assert entry["request_id"] == "req-42"
    assert entry["booking_id"] == "b1"


def test_json_line_without_request_has_no_request_id() -> None:
    record = logging.LogRecord("flourish.test", logging.WARNING, __file__, 1, "idle", (), None)
    entry = json.loads(JsonFormatter().format(record))
    assert "request_id" not in entry
    assert entry["level"] == "warning"
