"""Twin of a Keysight AC6801B basic AC source feeding the virtual charger.

It speaks the subset of the AC6800B's SCPI the driver uses (instruments/ac_source/keysight_ac6800b.py,
where the sources are cited) on a TCP line socket: ``VOLTage[:LEVel][:IMMediate][:AMPLitude]``,
``FREQuency[:IMMediate]``, ``OUTPut[:STATe]`` (settings and queries), ``VOLTage:RANGe?``,
``MEASure[:SCALar]:VOLTage:AC?``, ``*IDN?``, ``*CLS``, ``SYSTem:ERRor?``.  Settings get no reply, queries
one line; a rejected line goes to the error queue.  Reach it as ``TCPIP::127.0.0.1::<port>::SOCKET``.

Coupling to the model: every setting is the supply at the charger's input,
``model.set_mains(voltage_v=, frequency_hz=, on=)``; ``MEAS:VOLT:AC?`` is ``model.mains.voltage(now)``
(0 with the output off).  The twin powers up as a bench leaves its source: on its 310 V range, 230 V,
50 Hz, output on (twin: a source's own power-up default is output off; a bench recalls its saved state).
Choices the guide leaves open are marked "twin:".
"""
from __future__ import annotations

from dataclasses import dataclass

from simulator.physics.model import PhysicalModel
from simulator.twins.line_server import ScpiLineServer
from simulator.twins.scpi_parser import (
    Call,
    CommandTree,
    ErrorQueue,
    ScpiError,
    expect_params,
    parse_bool,
    parse_number,
)

IDENTITY = "Keysight Technologies,AC6801B,VIRTUAL01,A.01.00"
# Sources [G], [A], [S]: the driver's docstring.
RANGE_V = 310.0                 # the 310 V range ([S]: 155 V / 310 V)
# twin: the settable maximum on the 310 V range, by analogy with the AC6800's 275.0 V on its 270 V
# range ([A] p. 153); the guide's own figure for the B series was not found.
MAX_VOLTAGE_V = 315.0
FREQUENCY_RANGE_HZ = (40.0, 500.0)  # twin: the AC6800B's output frequency range as its data sheet states it


@dataclass
class _Settings:
    voltage_v: float = 230.0
    frequency_hz: float = 50.0
    on: bool = True


def _nr3(value: float) -> str:
    """The guide's reply format (``+1.23456E+00``, [G] p. 126)."""
    return f"{value:+.5E}"


class AcSourceTwin(ScpiLineServer):
    """The AC6801B twin: :meth:`handle` is the instrument, :meth:`start` puts it on a socket."""

    def __init__(self, model: PhysicalModel, identity: str = IDENTITY) -> None:
        super().__init__()
        self.model = model
        self.identity = identity
        self.errors = ErrorQueue()
        self.settings = _Settings()
        self.tree = self._build_tree()
        self._apply()

    def _apply(self) -> None:
        s = self.settings
        self.model.set_mains(voltage_v=s.voltage_v, frequency_hz=s.frequency_hz, on=s.on)

    # --- commands ----------------------------------------------------------------------------
    def _set_voltage(self, call: Call) -> None:
        value = parse_number(expect_params(call, 1)[0])
        if not 0.0 <= value <= MAX_VOLTAGE_V:
            raise ScpiError(-222)
        self.settings.voltage_v = value
        self._apply()

    def _set_frequency(self, call: Call) -> None:
        value = parse_number(expect_params(call, 1)[0])
        low, high = FREQUENCY_RANGE_HZ
        if not low <= value <= high:
            raise ScpiError(-222)
        self.settings.frequency_hz = value
        self._apply()

    def _set_output(self, call: Call) -> None:
        self.settings.on = parse_bool(expect_params(call, 1)[0])
        self._apply()

    def _measured(self, call: Call) -> str:
        expect_params(call, 0)
        with self.model.lock:
            return _nr3(self.model.mains.voltage(self.model.advance()))

    def _build_tree(self) -> CommandTree:
        tree = CommandTree()
        tree.add("*IDN", on_query=lambda call: self.identity)
        tree.add("*CLS", on_set=self._clear)
        tree.add("SYSTem:ERRor[:NEXT]", on_query=lambda call: self.errors.pop())
        tree.add("[SOURce:]VOLTage[:LEVel][:IMMediate][:AMPLitude]", on_set=self._set_voltage,
                 on_query=lambda call: _nr3(self.settings.voltage_v))
        tree.add("[SOURce:]VOLTage:RANGe[:UPPer]", on_query=lambda call: _nr3(RANGE_V))
        tree.add("[SOURce:]FREQuency[:IMMediate]", on_set=self._set_frequency,
                 on_query=lambda call: _nr3(self.settings.frequency_hz))
        tree.add("OUTPut[:STATe]", on_set=self._set_output,
                 on_query=lambda call: "1" if self.settings.on else "0")
        tree.add("MEASure[:SCALar]:VOLTage:AC", on_query=self._measured)
        return tree


__all__ = ["AcSourceTwin", "FREQUENCY_RANGE_HZ", "IDENTITY", "MAX_VOLTAGE_V"]
