"""Twin of an ESPEC SH-241 bench-top chamber holding the virtual charger, in the line protocol of
instruments/thermal/espec_sh.py (where the sources are cited).

Commands: ``TYPE?``, ``TEMP?`` (``<measured>,<target>,<upper alarm>,<lower alarm>``), ``TEMP, S<°C>``,
``MODE, CONSTANT|STANDBY|OFF``, ``POWER, ON|OFF``.  Every line gets one reply, ended CR LF: a monitor
command its data, a setting ``OK:<the command as received>``, anything refused ``NA:<message>``.
Blanks around the comma are optional, case is ignored.  Reach it as ``socket://127.0.0.1:<port>``.

Coupling to the model: in constant mode the target is ``model.set_board_setpoint(target)``; standby,
off and power off are ``model.set_board_setpoint(None)`` (the board returns to its natural thermal model).
``TEMP?``'s measured value is ``model.temperature_c()`` (twin: the model has one temperature, the
chamber's air and the board are the same).  The twin powers up with the control power on, in standby,
target 25.0 °C.  Choices the manuals leave open are marked "twin:".
"""
from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass

from simulator.physics.model import PhysicalModel
from simulator.twins.line_server import LineServer

IDENTITY = "T,T,S2,150.0"              # twin: the TYPE? shape an SH-641 answers (T,T,S2,160.0), SH-241's 150 °C
TEMPERATURE_RANGE_C = (-40.0, 150.0)   # twin: the SH-241's rated range
UPPER_ALARM_C = 155.0                  # twin: alarm limits just outside the range
LOWER_ALARM_C = -45.0
MODES = ("CONSTANT", "STANDBY", "OFF")
# twin: the error texts (the manual's Table 1.1 was not found)
COMMAND_ERROR = "NA:CMD ERR"
DATA_ERROR = "NA:DATA OUT OF RANGE"
NOT_READY = "NA:DATA NOT READY"


@dataclass
class _State:
    power: bool = True
    mode: str = "STANDBY"
    target_c: float = 25.0


class ClimateChamberTwin(LineServer):
    """The chamber twin: :meth:`handle` is the instrument, :meth:`start` puts it on a socket."""

    def __init__(self, model: PhysicalModel, identity: str = IDENTITY) -> None:
        super().__init__()
        self.model = model
        self.identity = identity
        self.state = _State()
        self._apply()

    def _apply(self) -> None:
        s = self.state
        self.model.set_board_setpoint(s.target_c if s.power and s.mode == "CONSTANT" else None)

    # --- the instrument --------------------------------------------------------------------
    def handle(self, line: str) -> str:
        """One line in, one reply out (without the terminator)."""
        text = line.strip()
        upper = "".join(text.split()).upper()
        if upper == "TYPE?":
            return self.identity
        if upper == "TEMP?":
            s = self.state
            return f"{self.model.temperature_c():.1f},{s.target_c:.1f},{UPPER_ALARM_C:.1f},{LOWER_ALARM_C:.1f}"
        name, _, param = upper.partition(",")
        handler = {"TEMP": self._set_temperature, "MODE": self._set_mode, "POWER": self._set_power}.get(name)
        if handler is None or not param:
            return COMMAND_ERROR
        error = handler(param)
        if error is not None:
            return error
        self._apply()
        return f"OK:{text}"

    def _set_temperature(self, param: str) -> str | None:
        if not param.startswith("S"):
            return COMMAND_ERROR  # twin: only the target (S); alarm limits (H, L) are not simulated
        try:
            value = float(param[1:])
        except ValueError:
            return COMMAND_ERROR
        low, high = TEMPERATURE_RANGE_C
        if not (math.isfinite(value) and low <= value <= high):
            return DATA_ERROR
        self.state.target_c = value
        return None

    def _set_mode(self, param: str) -> str | None:
        if param not in MODES:
            return COMMAND_ERROR
        if not self.state.power and param == "CONSTANT":
            return NOT_READY  # twin: no operation with the control power off
        self.state.mode = param
        return None

    def _set_power(self, param: str) -> str | None:
        if param not in ("ON", "OFF"):
            return COMMAND_ERROR
        self.state.power = param == "ON"
        self.state.mode = "STANDBY" if self.state.power else "OFF"
        return None

    # --- the TCP server: CR LF replies --------------------------------------------------------
    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while raw := await reader.readline():
            writer.write(self.handle(raw.decode("ascii", errors="replace")).encode("ascii", errors="replace") + b"\r\n")
            await writer.drain()


__all__ = ["ClimateChamberTwin", "IDENTITY", "TEMPERATURE_RANGE_C"]
