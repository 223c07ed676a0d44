"""Opening and closing a VISA resource the way every SCPI driver of this bench needs it.

One place for what the drivers (power analyzer, AC load, calibrator) would otherwise each copy:
pyvisa-py's ``@py`` backend, a timeout on the open and on every read, ``\\n`` terminations where the
link carries no END of its own (field-facts §7), Nagle off on raw sockets, and a failed open turned
into ``InstrumentConnectionError`` (a bench fault, never a product verdict).

``pyvisa`` is looked up as a module attribute at call time, so a test that monkeypatches
``pyvisa.ResourceManager`` (e.g. through ``instruments.power_analyzer.wt300.pyvisa``) replaces it here.
"""
from __future__ import annotations

import socket as socket_module
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import pyvisa
import pyvisa.constants

DEFAULT_VISA_LIBRARY = "@py"
TERMINATION = "\n"


class _Closable(Protocol):
    def close(self) -> Any: ...


C = TypeVar("C", bound=_Closable)


def resource_kind(resource: str) -> str:
    """What kind of VISA resource ``resource`` names: ``socket`` (raw TCP), ``serial`` (ASRL,
    pyserial URLs included), ``vxi11`` (``TCPIP[n]::host[::device]::INSTR``), ``hislip``,
    ``usb``, ``gpib`` or ``other``. Only ``socket`` and ``serial`` carry no END of their own."""
    upper = resource.strip().upper()
    if upper.startswith("ASRL"):
        return "serial"
    if upper.startswith("TCPIP"):
        if upper.endswith("::SOCKET"):
            return "socket"
        if "::HISLIP" in upper:
            return "hislip"
        if upper.endswith("::INSTR"):
            return "vxi11"
    if upper.startswith("USB"):
        return "usb"
    if upper.startswith("GPIB"):
        return "gpib"
    return "other"


def disable_nagle(visa: Any) -> bool:
    """Turn Nagle off on a raw socket, as NI-VISA does by default (VI_ATTR_TCPIP_NODELAY = true).

    pyvisa-py leaves Nagle on, so a set command followed by the error-queue query waits out the
    peer's delayed ACK (~40 ms each), and some instruments' LAN firmware mishandles the coalesced
    segments (nominal-io/instro#156). pyvisa-py 0.8 wires the attribute's setter to a stub that
    raises UnknownAttribute, hence the fallback to its session's socket. Best effort: False if
    neither route exists (the link still works, only slower).
    """
    try:
        visa.set_visa_attribute(pyvisa.constants.ResourceAttribute.tcpip_nodelay, pyvisa.constants.VI_TRUE)
        return True
    except Exception:  # noqa: BLE001 - any refusal just means "try the socket itself"
        pass
    sessions = getattr(getattr(visa, "visalib", None), "sessions", None)
    session = sessions.get(getattr(visa, "session", None)) if isinstance(sessions, dict) else None
    sock = getattr(session, "interface", None)
    if isinstance(sock, socket_module.socket):
        sock.setsockopt(socket_module.IPPROTO_TCP, socket_module.TCP_NODELAY, 1)
        return True
    return False


def open_visa_resource(resource: str, timeout_s: float,
                       visa_library: str = DEFAULT_VISA_LIBRARY) -> tuple[Any, Any]:
    """Open ``resource``; return ``(resource_manager, visa_resource)`` ready for line I/O.

    Raw sockets (``TCPIP::host::port::SOCKET``) and serial lines (``ASRL…``, pyserial URLs
    included) get ``\\n`` terminations (without them pyvisa-py waits for an END that never
    comes, field-facts §7); raw sockets also get Nagle off. VXI-11 (``TCPIP::host::INSTR``),
    HiSLIP, USB and GPIB carry END themselves and are left alone. The open and every read get
    ``timeout_s``. Any failure to open (pyvisa-py raises a bare ``Exception`` on a connect
    timeout) is an :class:`InstrumentConnectionError`.

    The caller closes the resource; the manager stays open: pyvisa shares one per library, so closing
    it would end every other instrument's session in this process (the bench's other instruments).
    """
    # Imported here, not at the top: instruments.power_analyzer's package import loads wt300, which
    # imports this module, so a top-level import would be circular when this module loads first.
    from instruments.power_analyzer.scpi import InstrumentConnectionError

    try:
        manager = pyvisa.ResourceManager(visa_library)
        visa = manager.open_resource(resource, open_timeout=int(timeout_s * 1000))
    except Exception as error:  # noqa: BLE001 - pyvisa-py raises a bare Exception on connect timeout
        raise InstrumentConnectionError(f"cannot open {resource}: {error}") from error
    visa.timeout = timeout_s * 1000.0  # pyvisa counts milliseconds
    kind = resource_kind(resource)
    if kind in ("socket", "serial"):
        visa.read_termination = TERMINATION
        visa.write_termination = TERMINATION
    if kind == "socket":
        disable_nagle(visa)
    return manager, visa


def close_on_failure(instrument: C, prepare: Callable[[C], object]) -> C:
    """Run ``prepare(instrument)`` (the first exchange after opening: clear the error queue, read
    the identity…) and return ``instrument``; if it fails in any way, close ``instrument`` first so
    a half-opened driver never leaks its connection, then re-raise."""
    try:
        prepare(instrument)
    except BaseException:
        instrument.close()
        raise
    return instrument


__all__ = ["DEFAULT_VISA_LIBRARY", "close_on_failure", "disable_nagle",
           "open_visa_resource", "resource_kind"]
