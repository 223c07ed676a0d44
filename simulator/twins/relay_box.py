"""Twin of a Keysight 34972A with a 34903A actuator module in slot 1, wired as the contactor-fault
relay box of instruments/fault_injection/keysight_34970a.py (where the sources are cited).

Commands: ``ROUTe:CLOSe (@<list>)``, ``ROUTe:OPEN (@<list>)``, ``ROUTe:CLOSe? (@<list>)`` /
``ROUTe:OPEN? (@<list>)`` (one ``1``/``0`` per channel, comma-separated), ``*IDN?``, ``*RST`` (all
open), ``*CLS``, ``SYSTem:ERRor?``.  A list is channels ``101``-``120`` separated by commas, or a range
``101:104``.  Settings get no reply; a rejected line goes to the error queue and changes nothing.

Coupling to the model (the bench's wiring, as the driver documents it: channel closed = fault active):
after every change ``model.set_contactor_fault(welded=<welded channel closed>,
stuck_open=<stuck-open channel closed>)``.  Reach it as ``TCPIP::127.0.0.1::<port>::SOCKET``.
"""
from __future__ import annotations

import re

from simulator.physics.model import PhysicalModel
from simulator.twins.line_server import ScpiLineServer
from simulator.twins.scpi_parser import Call, CommandTree, ErrorQueue, ScpiError, expect_params

IDENTITY = "Agilent Technologies,34972A,VIRTUAL01,1.17-1.12-02-02"
SLOT = 1                              # twin: the one 34903A module sits in slot 1
CHANNELS = range(SLOT * 100 + 1, SLOT * 100 + 21)
_LIST = re.compile(r"^\(@(.*)\)$")


def parse_channel_list(params: tuple[str, ...]) -> list[int]:
    """``("(@101", "102)")`` (the parser splits at commas) or ``("(@101:103)",)`` → channels.

    A malformed list is -102 (twin); a channel the module does not have is -222 (twin: the unit
    reports its own code)."""
    match = _LIST.match(",".join(p.strip() for p in params))
    if not match:
        raise ScpiError(-102)
    channels: list[int] = []
    for item in match.group(1).split(","):
        first, _, last = item.strip().partition(":")
        try:
            low, high = int(first), int(last or first)
        except ValueError:
            raise ScpiError(-102) from None
        span = range(low, high + 1)
        if not span or any(ch not in CHANNELS for ch in span):
            raise ScpiError(-222)
        channels.extend(span)
    return channels


class RelayBoxTwin(ScpiLineServer):
    """The relay box twin: :meth:`handle` is the instrument, :meth:`start` puts it on a socket."""

    def __init__(self, model: PhysicalModel, *, welded_channel: int = 101, stuck_open_channel: int = 102,
                 identity: str = IDENTITY) -> None:
        if welded_channel not in CHANNELS or stuck_open_channel not in CHANNELS or welded_channel == stuck_open_channel:
            raise ValueError("the fault relays must be two different channels of the slot-1 34903A")
        super().__init__()
        self.model = model
        self.identity = identity
        self.welded_channel = welded_channel
        self.stuck_open_channel = stuck_open_channel
        self.errors = ErrorQueue()
        self.closed: set[int] = set()
        self.tree = self._build_tree()
        self._apply()

    def _apply(self) -> None:
        self.model.set_contactor_fault(welded=self.welded_channel in self.closed,
                                       stuck_open=self.stuck_open_channel in self.closed)

    # --- commands ----------------------------------------------------------------------------
    def _route(self, close: bool):  # type: ignore[no-untyped-def]
        def handler(call: Call) -> None:
            channels = parse_channel_list(expect_params(call, 1, len(CHANNELS)))
            if close:
                self.closed.update(channels)
            else:
                self.closed.difference_update(channels)
            self._apply()
        return handler

    def _state(self, closed: bool):  # type: ignore[no-untyped-def]
        def handler(call: Call) -> str:
            channels = parse_channel_list(expect_params(call, 1, len(CHANNELS)))
            return ",".join("1" if (ch in self.closed) == closed else "0" for ch in channels)
        return handler

    def _reset(self, call: Call) -> None:
        expect_params(call, 0)
        self.closed.clear()
        self._apply()

    def _build_tree(self) -> CommandTree:
        tree = CommandTree()
        tree.add("*IDN", on_query=lambda call: self.identity)
        tree.add("*RST", on_set=self._reset)
        tree.add("*CLS", on_set=self._clear)
        tree.add("SYSTem:ERRor", on_query=lambda call: self.errors.pop())
        tree.add("ROUTe:CLOSe", on_set=self._route(True), on_query=self._state(True))
        tree.add("ROUTe:OPEN", on_set=self._route(False), on_query=self._state(False))
        return tree


__all__ = ["CHANNELS", "IDENTITY", "RelayBoxTwin", "parse_channel_list"]
