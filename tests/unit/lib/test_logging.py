"""Log output: request ids in context, no local variables (secrets) in tracebacks."""

from __future__ import annotations

import json

import pytest
import structlog

from modelyard.observability.logging import configure_logging


def _fail(password: str = "hunter2-secret") -> None:
    raise ValueError("boom")


@pytest.mark.parametrize("json_output", [True, False])
def test_tracebacks_never_carry_locals(json_output: bool, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", json_output=json_output)
    try:
        _fail()
    except ValueError as exc:
        with structlog.contextvars.bound_contextvars(request_id="req-abc12345"):
            structlog.get_logger("t").error("unhandled error", exc_info=exc)
    err = capsys.readouterr().err
    assert "hunter2-secret" not in err
    assert "ValueError" in err and "req-abc12345" in err
    if json_output:
        line = json.loads(err.strip().splitlines()[-1])
        assert line["request_id"] == "req-abc12345" and line["level"] == "error"
