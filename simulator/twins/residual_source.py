"""Twin of a Fluke 5522A calibrator whose current output runs through the charger's RCD sensor.

It speaks the subset of the 55xx remote language the driver uses (instruments/residual_source/
fluke5522a.py, where the sources are cited) on a TCP line socket: ``OUT``, ``OUT?``, ``OPER``,
``OPER?``, ``STBY``, ``ERR?``, ``*IDN?``, ``*RST``, ``*CLS``, ``*OPC``.  Settings get no reply, queries
one reply line; a rejected line goes to the error queue, answered as ``<code>,"<text>"`` with
``0,"No Error"`` when empty.  Reach it as ``TCPIP::127.0.0.1::<port>::SOCKET``.

Coupling to the model: only while operating does the output reach the sensor, as
``model.inject_residual(dc_ma=..., ac_ma=...)`` (DC at 0 Hz, AC rms otherwise); standby and ``*RST``
write 0/0.  The output runs through a test loop of the charger's sensor, so the sensor sees it whether or not the contactor is closed.

As on the calibrator, ``OUT`` without a frequency keeps the previous frequency, so a bare
``OUT 6 MA`` after an AC output is 6 mA AC: the driver therefore always sends ``0 HZ`` for DC.
Choices the manuals leave open are marked "twin:".
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from simulator.physics.model import PhysicalModel
from simulator.twins.line_server import ScpiLineServer
from simulator.twins.scpi_parser import Call, CommandTree, ErrorQueue, ScpiError, expect_params

IDENTITY = "FLUKE,5522A,VIRTUAL01,1.1+1.3+1.8"
EMPTY_QUEUE = '0,"No Error"'
# twin: the current function only (a residual source needs nothing else); amplitudes in mA.
CURRENT_UNITS_MA = {"UA": 1e-3, "MA": 1.0, "A": 1e3}
FREQUENCY_UNITS_HZ = {"HZ": 1.0, "KHZ": 1e3}
MAX_CURRENT_MA = 20_500.0          # twin: the 5522A's 20.5 A current output, either sign for DC
AC_FREQUENCY_RANGE_HZ = (10.0, 30_000.0)  # twin: the AC current output's frequency range
_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:E[+-]?\d+)?)\s*([A-Z]*)$", re.IGNORECASE)


class _FlukeErrorQueue(ErrorQueue):
    """The 55xx spells its empty queue ``0,"No Error"``; the codes themselves are the generic
    parser's SCPI codes (twin: the calibrator has its own numbering)."""

    def pop(self) -> str:
        return super().pop() if len(self) else EMPTY_QUEUE


@dataclass
class _Settings:
    """What ``*RST`` restores: standby, 0 at DC (twin: the power-up output)."""

    amplitude_ma: float = 0.0
    frequency_hz: float = 0.0
    operating: bool = False


def _quantity(param: str, units: dict[str, float]) -> float:
    """``6 MA`` / ``6MA`` / ``0.006 A`` → value in the table's base unit; -104/-131 otherwise."""
    match = _QUANTITY.match(param.strip())
    if not match:
        raise ScpiError(-104)
    number, unit = match.groups()
    factor = units.get(unit.upper())
    if factor is None:
        raise ScpiError(-131, "Invalid suffix")  # twin: a unit of another function, or none
    return float(number) * factor


class ResidualSourceTwin(ScpiLineServer):
    """The 5522A twin: :meth:`handle` is the instrument, :meth:`start` puts it on a socket."""

    def __init__(self, model: PhysicalModel, identity: str = IDENTITY) -> None:
        super().__init__()
        self.model = model
        self.identity = identity
        self.errors = _FlukeErrorQueue()
        self.settings = _Settings()
        self.tree = self._build_tree()

    # --- the instrument --------------------------------------------------------------------
    def sourced_ma(self) -> tuple[float, float]:
        """(DC, AC) mA at the output terminals now: 0/0 in standby."""
        s = self.settings
        if not s.operating:
            return 0.0, 0.0
        return (s.amplitude_ma, 0.0) if s.frequency_hz == 0 else (0.0, s.amplitude_ma)

    def _apply(self) -> None:
        dc_ma, ac_ma = self.sourced_ma()
        self.model.inject_residual(dc_ma=dc_ma, ac_ma=ac_ma)

    # --- commands ----------------------------------------------------------------------------
    def _set_output(self, call: Call) -> None:
        params = expect_params(call, 1, 2)
        amplitude = _quantity(params[0], CURRENT_UNITS_MA)
        frequency = _quantity(params[1], FREQUENCY_UNITS_HZ) if len(params) == 2 else self.settings.frequency_hz
        low, high = AC_FREQUENCY_RANGE_HZ
        if frequency != 0 and not low <= frequency <= high:
            raise ScpiError(-222)
        if abs(amplitude) > MAX_CURRENT_MA or (frequency != 0 and amplitude < 0):
            raise ScpiError(-222)
        self.settings.amplitude_ma, self.settings.frequency_hz = amplitude, frequency
        self._apply()

    def _output_reply(self, call: Call) -> str:
        """``<amplitude>,<unit>,<amplitude2>,<unit2>,<frequency>``, amplitude in A."""
        expect_params(call, 0)
        s = self.settings
        return f"{s.amplitude_ma / 1000:.7E},A,0E+00,0,{s.frequency_hz:.2E}"

    def _set_operating(self, operating: bool) -> None:
        self.settings.operating = operating
        self._apply()

    def _reset(self, call: Call) -> None:
        expect_params(call, 0)
        self.settings = _Settings()
        self._apply()

    def _operate(self, operating: bool) -> Callable[[Call], None]:
        def handler(call: Call) -> None:
            expect_params(call, 0)
            self._set_operating(operating)
        return handler

    # --- the command table -------------------------------------------------------------------
    def _build_tree(self) -> CommandTree:
        tree = CommandTree()
        tree.add("*IDN", on_query=lambda call: self.identity)
        tree.add("*RST", on_set=self._reset)
        tree.add("*CLS", on_set=self._clear)
        tree.add("*OPC", on_set=lambda call: None, on_query=lambda call: "1")
        tree.add("OUT", on_set=self._set_output, on_query=self._output_reply)
        tree.add("OPER", on_set=self._operate(True),
                 on_query=lambda call: "1" if self.settings.operating else "0")
        tree.add("STBY", on_set=self._operate(False))
        tree.add("ERR", on_query=lambda call: self.errors.pop())
        return tree


__all__ = ["IDENTITY", "ResidualSourceTwin"]
