"""Waiting for a real worker, server or browser in tests (and the journey scripts)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_for(condition: Callable[[], Any], *, timeout: float = 20.0, what: str = "condition") -> Any:
    """Poll ``condition`` until it returns something truthy (and return it); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def wait_until(condition: Callable[[], bool], *, timeout: float = 90.0) -> None:
    """Poll ``condition`` until it holds; fail the test if the worker takes longer than ``timeout``."""
    wait_for(condition, timeout=timeout, what="the worker to finish")
