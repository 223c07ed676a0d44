"""instruments.visa: the one VISA opening path every SCPI driver uses, tested through each driver.

No hardware and no twin: ``pyvisa.ResourceManager`` is replaced by a fake that hands out a
:class:`ScriptedTransport`, so each case checks what the driver asked pyvisa for (open timeout,
read timeout, terminations, Nagle) and the exact first exchange it had with the instrument.
"""
from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import pyvisa
from pyvisa import constants
from pyvisa.errors import VisaIOError

from instruments.ac_load import Chroma63800Load
from instruments.power_analyzer import InstrumentConnectionError, PowerAnalyzer, ScriptedTransport
from instruments.residual_source import Fluke5522aResidualSource
from instruments.visa import close_on_failure, disable_nagle, open_visa_resource, resource_kind
from tests.scpi_twins import Script

NAGLE_OFF = {constants.ResourceAttribute.tcpip_nodelay: constants.VI_TRUE}
SOCKET = "TCPIP::192.0.2.7::5025::SOCKET"


class FakeManager:
    """Stands in for ``pyvisa.ResourceManager``: hands out one scripted resource (or raises)."""

    def __init__(self, resource: ScriptedTransport | BaseException) -> None:
        self.resource = resource
        self.opened: list[tuple[str, int]] = []
        self.closed = False

    def __call__(self, library: str) -> FakeManager:
        assert library == "@py"
        return self

    def open_resource(self, name: str, open_timeout: int) -> ScriptedTransport:
        self.opened.append((name, open_timeout))
        if isinstance(self.resource, BaseException):
            raise self.resource
        return self.resource

    def close(self) -> None:
        self.closed = True


# Each driver's open() and the exchange it has with the instrument right after opening.
DRIVERS: dict[str, tuple[Callable[..., Any], Script]] = {
    "power_analyzer": (PowerAnalyzer.open, [(":COMM:HEAD OFF", None), ("*CLS", None),
                                            ("*IDN?", "YOKOGAWA,WT310EH,C2PH13047V,F1.03")]),
    "ac_load": (Chroma63800Load.open, [("*CLS", None)]),
    "residual_source": (Fluke5522aResidualSource.open, [("*CLS", None)]),
}


@pytest.fixture(params=sorted(DRIVERS))
def driver(request: pytest.FixtureRequest) -> tuple[Callable[..., Any], Script]:
    return DRIVERS[request.param]


@pytest.mark.parametrize(("resource", "terminated", "nagle_off"), [
    (SOCKET, True, True),
    ("ASRLsocket://127.0.0.1:5025::INSTR", True, False),
    ("TCPIP::192.0.2.7::INSTR", False, False),  # VXI-11 carries END itself
    ("GPIB0::5::INSTR", False, False),
])
def test_every_driver_opens_the_same_way(monkeypatch: pytest.MonkeyPatch, driver: tuple[Callable[..., Any], Script],
                                         resource: str, terminated: bool, nagle_off: bool) -> None:
    open_driver, opening = driver
    visa = ScriptedTransport(opening)
    manager = FakeManager(visa)
    monkeypatch.setattr(pyvisa, "ResourceManager", manager)
    instrument = open_driver(resource, timeout_s=1.5)
    visa.assert_done()
    assert manager.opened == [(resource, 1500)]
    assert visa.timeout == 1500.0
    assert (visa.read_termination, visa.write_termination) == (("\n", "\n") if terminated else (None, None))
    assert visa.visa_attributes == (NAGLE_OFF if nagle_off else {})
    instrument.close()
    # its own resource closed; the shared manager left open (it serves the bench's other instruments)
    assert visa.closed and not manager.closed


@pytest.mark.parametrize("fault", [VisaIOError(constants.StatusCode.error_resource_not_found),
                                   ConnectionRefusedError(111, "Connection refused"),
                                   Exception("could not connect: StatusCode.error_timeout")])  # pyvisa-py
def test_a_failed_open_is_a_connection_error_naming_the_resource(
        monkeypatch: pytest.MonkeyPatch, driver: tuple[Callable[..., Any], Script], fault: BaseException) -> None:
    open_driver, _ = driver
    manager = FakeManager(fault)
    monkeypatch.setattr(pyvisa, "ResourceManager", manager)
    with pytest.raises(InstrumentConnectionError, match="192.0.2.7") as caught:
        open_driver(SOCKET)
    assert caught.value.__cause__ is fault
    # pyvisa shares one manager per library: closing it here would close every other instrument
    assert not manager.closed


def test_a_silent_instrument_after_opening_closes_its_resource_only(
        monkeypatch: pytest.MonkeyPatch, driver: tuple[Callable[..., Any], Script]) -> None:
    open_driver, opening = driver
    first_command = opening[0][0]
    visa = ScriptedTransport([(first_command, VisaIOError(constants.StatusCode.error_timeout))])
    manager = FakeManager(visa)
    monkeypatch.setattr(pyvisa, "ResourceManager", manager)
    with pytest.raises(InstrumentConnectionError):
        open_driver(SOCKET)
    assert visa.closed and not manager.closed


@pytest.mark.parametrize(("resource", "kind"), [
    (SOCKET, "socket"),
    ("  tcpip0::192.0.2.7::5025::socket ", "socket"),
    ("ASRL/dev/ttyUSB0::INSTR", "serial"),
    ("TCPIP0::192.0.2.7::hislip0::INSTR", "hislip"),
    ("TCPIP0::192.0.2.7::inst0::INSTR", "vxi11"),
    ("USB0::0x0B21::0x0025::C2PH13047V::INSTR", "usb"),
    ("GPIB0::5::INSTR", "gpib"),
    ("PXI0::1::INSTR", "other"),
])
def test_resource_kind(resource: str, kind: str) -> None:
    assert resource_kind(resource) == kind


def test_open_visa_resource_returns_manager_and_resource(monkeypatch: pytest.MonkeyPatch) -> None:
    visa = ScriptedTransport([])
    manager = FakeManager(visa)
    monkeypatch.setattr(pyvisa, "ResourceManager", manager)
    assert open_visa_resource(SOCKET, 0.25) == (manager, visa)
    assert (manager.opened, visa.timeout) == ([(SOCKET, 250)], 250.0)


class _RefusesAttribute:
    """A pyvisa-py 0.8 resource: the NODELAY attribute setter raises, the session's socket is there."""

    def __init__(self, interface: object) -> None:
        self.session = 7
        self.visalib = SimpleNamespace(sessions={7: SimpleNamespace(interface=interface)})

    def set_visa_attribute(self, attribute: Any, value: Any) -> None:
        raise NotImplementedError(f"UnknownAttribute {attribute}")


def test_disable_nagle_falls_back_to_the_sessions_socket() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        assert disable_nagle(_RefusesAttribute(sock)) is True
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_disable_nagle_without_any_route_is_only_slower() -> None:
    assert disable_nagle(_RefusesAttribute(interface=None)) is False


def test_close_on_failure_returns_the_prepared_instrument_or_closes_it() -> None:
    def interrupted(opened: ScriptedTransport) -> None:
        raise KeyboardInterrupt  # any failure, not only an Exception: Ctrl-C mid-open too

    visa = ScriptedTransport([])
    assert close_on_failure(visa, lambda opened: None) is visa and not visa.closed
    with pytest.raises(KeyboardInterrupt):
        close_on_failure(visa, interrupted)
    assert visa.closed


def test_instruments_visa_imports_first_without_a_cycle() -> None:
    """wt300 imports instruments.visa; importing instruments.visa first must still work."""
    root = Path(__file__).resolve().parent.parent
    code = "import instruments.visa, instruments.ac_load, instruments.residual_source, instruments.power_analyzer"
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True, timeout=60)
