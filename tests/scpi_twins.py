"""Helpers shared by the SCPI instrument tests (AC load, residual source; any driver on ScpiInstrument).

What each of those test modules needs the same way: a driver around an exact command/response
script that must be used up and closed (:func:`scripted_instrument`), a clock that moves only when
a twin's line-by-line test says so (:class:`ManualClock`), the real driver opened through pyvisa on
a twin served on loopback (:func:`driver_on_twin`), and polling a twin-backed value against a
deadline instead of sleeping (:func:`wait_until`).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest

from instruments.power_analyzer import ScpiInstrument, ScriptedTransport
from tests.twin_loop import Servable, twin_on_loopback

Script = list[tuple[str, Any]]
T = TypeVar("T")
D = TypeVar("D", bound=ScpiInstrument)


@contextmanager
def scripted_instrument(factory: Callable[..., D], script: Script, **kwargs: Any) -> Iterator[D]:
    """``factory(transport, **kwargs)`` on a :class:`ScriptedTransport` running ``script``; on leaving
    the block the driver must have been closed and every scripted exchange used."""
    transport = ScriptedTransport(script)
    instrument = factory(transport, **kwargs)
    with instrument:
        yield instrument
    transport.assert_done()
    assert transport.closed


@contextmanager
def driver_on_twin(twin: Servable, from_resource: Callable[[dict[str, Any]], D], **settings: Any) -> Iterator[D]:
    """Serve ``twin`` on loopback and open the driver on it as a raw VISA socket, as a bench profile
    would (``timeout_s`` 2 unless ``settings`` say otherwise); close both afterwards."""
    with twin_on_loopback(twin) as (port, _loop):
        driver = from_resource({"resource": f"TCPIP::127.0.0.1::{port}::SOCKET", "timeout_s": 2.0, **settings})
        try:
            yield driver
        finally:
            driver.close()


class ManualClock:
    """Device time that moves only when the test says so (``t``); wall time equals device time."""

    time_scale = 1.0

    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def to_wall(self, device_seconds: float) -> float:
        return device_seconds


def wait_until(what: str, probe: Callable[[], T], predicate: Callable[[T], bool], timeout_s: float = 3.0) -> T:
    """Poll ``probe`` until ``predicate`` holds; on timeout say what was awaited and last seen."""
    deadline = time.monotonic() + timeout_s
    while True:
        seen = probe()
        if predicate(seen):
            return seen
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s} s waiting for {what}; last seen {seen!r}")
        time.sleep(0.002)


__all__ = ["ManualClock", "Script", "driver_on_twin", "scripted_instrument", "wait_until"]
