"""Twin of a Chroma 63800-series AC electronic load, drawing current from the virtual bench's model.

It speaks the subset of the 63800 command set the driver uses (instruments/ac_load/chroma63800.py,
where the sources are cited) as standard SCPI on a TCP line socket: settings get no reply, queries
one reply line, a rejected line goes to the error queue (``:SYST:ERR?``) and, for a query, leaves the
client waiting as a real instrument does.  Reach it as ``TCPIP::127.0.0.1::<port>::SOCKET``.

Coupling to the model: with the load on in constant-current mode the programmed current becomes
``model.load.max_current_a`` (0 otherwise).  The twin does not make the model follow the PWM: a plain
electronic load draws what it is told whenever mains is there, so a composite bench sets
``model.load.follows_pwm = False`` (bench wiring, not this twin) and the model draws exactly the
programmed current while the contactor is closed and the EV side is in C/D.

Measurements are at the EV side of the contactor: ``:MEAS:VOLT?`` is the mains voltage while the
contactor is closed and 0 V while open, ``:MEAS:CURR?`` the model's load current, ``:MEAS:POW?``
their product (the model's load is resistive).  Choices the manual leaves open are marked "twin:".
"""
from __future__ import annotations

from collections.abc import Callable
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
    parse_choice,
    parse_number,
)

# Rated rms current per model (the OCP thresholds of [LOAD:]PROTect?, manual p. 8-13).
RATED_CURRENT_A = {"63802": 18.0, "63803": 36.0, "63804": 45.0}
PEAK_PER_RMS = 3.0  # twin: the peak limit may be set up to 3 x the rated rms current
# The 63804 by default: the 1P7K charges up to 32 A, beyond the 63802's 18 A.
DEFAULT_MODEL = "63804"
# [LOAD:]MODE names and numbers (manual p. 8-13); the query answers the name, RLCPOW for RLCP.
MODES = ("CURR", "POW", "VOLT", "RES", "RLC", "RLCP", "INRUSH", "RECT")
MODE_REPLIES = {"RLCP": "RLCPOW"}


@dataclass
class _Settings:
    """What ``*RST`` restores: load off, CC mode, nothing programmed (twin: the power-up values)."""

    mode: str = "CURR"
    current_a: float = 0.0
    peak_max_a: float = 0.0
    on: bool = False


class AcLoadTwin(ScpiLineServer):
    """The 63800 twin: :meth:`handle` is the instrument, :meth:`start` puts it on a socket.

    Construction applies the power-up state to the model (load off: ``max_current_a`` 0), as
    switching the instrument on does on a bench.
    """

    def __init__(self, model: PhysicalModel, model_number: str = DEFAULT_MODEL, serial: str = "VIRTUAL01") -> None:
        if model_number not in RATED_CURRENT_A:
            raise ValueError(f"unknown 63800 model {model_number!r}; known: {sorted(RATED_CURRENT_A)}")
        super().__init__()
        self.model = model
        self.rated_current_a = RATED_CURRENT_A[model_number]
        self.identity = f"Chroma,{model_number},{serial},1.00"
        self.errors = ErrorQueue()
        self.settings = _Settings()
        self.tree = self._build_tree()
        self._apply()

    # --- the instrument --------------------------------------------------------------------
    def drawn_current_a(self) -> float:
        """What the instrument is programmed to sink now (0 unless on in CC mode)."""
        s = self.settings
        return s.current_a if s.on and s.mode == "CURR" else 0.0  # twin: only CC mode is simulated

    def _apply(self) -> None:
        self.model.set_ev_load(max_current_a=self.drawn_current_a())

    # --- measurements (EV side of the contactor) ----------------------------------------------
    def _voltage_v(self) -> float:
        with self.model.lock:
            return self.model.electrical().voltage_v if self.model.mains_present_at_ev() else 0.0

    def _current_a(self) -> float:
        return self.model.electrical().current_a

    def _measure(self, quantity: Callable[[], float], decimals: int) -> Callable[[Call], str]:
        def reply(call: Call) -> str:
            expect_params(call, 0)
            return f"{quantity():.{decimals}f}"  # twin: NR2 (manual p. 8-2) at a fixed resolution
        return reply

    def _power_w(self) -> float:
        with self.model.lock:
            return self._voltage_v() * self._current_a()

    # --- settings --------------------------------------------------------------------------
    def _set_mode(self, call: Call) -> None:
        (param,) = expect_params(call, 1)
        if param.isdigit():
            index = int(param)
            if index >= len(MODES):
                raise ScpiError(-224)
            mode = MODES[index]
        else:
            mode = parse_choice(param, MODES)
        self.settings.mode = mode
        self._apply()

    def _mode_reply(self, call: Call) -> str:
        return MODE_REPLIES.get(self.settings.mode, self.settings.mode)

    def _number_in(self, call: Call, maximum: float) -> float:
        (param,) = expect_params(call, 1)
        value = parse_number(param)
        if not 0.0 <= value <= maximum:
            raise ScpiError(-222)
        return value

    def _set_current(self, call: Call) -> None:
        self.settings.current_a = self._number_in(call, self.rated_current_a)
        self._apply()

    def _set_peak(self, call: Call) -> None:
        # twin: the limit is stored, not enforced: the model's resistive load has crest factor 1.414
        self.settings.peak_max_a = self._number_in(call, PEAK_PER_RMS * self.rated_current_a)

    def _set_on(self, call: Call) -> None:
        self.settings.on = parse_bool(expect_params(call, 1)[0])
        self._apply()

    def _reset(self, call: Call) -> None:
        expect_params(call, 0)
        self.settings = _Settings()
        self._apply()

    # --- the command table -------------------------------------------------------------------
    def _build_tree(self) -> CommandTree:
        tree = CommandTree()
        s = lambda: self.settings  # noqa: E731 - *RST replaces the settings object
        tree.add("*IDN", on_query=lambda call: self.identity)
        tree.add("*RST", on_set=self._reset)
        tree.add("*CLS", on_set=self._clear)
        tree.add("*OPC", on_set=lambda call: None, on_query=lambda call: "1")
        tree.add("[:LOAD]:MODE", on_set=self._set_mode, on_query=self._mode_reply)
        tree.add("[:LOAD]:CURRent:PEAK:MAXimum", on_set=self._set_peak,
                 on_query=lambda call: f"{s().peak_max_a:.2f}")
        tree.add("[:LOAD]:CURRent", on_set=self._set_current, on_query=lambda call: f"{s().current_a:.3f}")
        tree.add(":LOAD", on_set=self._set_on, on_query=lambda call: "1" if s().on else "0")
        tree.add(":MEASure:VOLTage", on_query=self._measure(self._voltage_v, 2))
        tree.add(":MEASure:CURRent", on_query=self._measure(self._current_a, 3))
        tree.add(":MEASure:POWer", on_query=self._measure(self._power_w, 1))
        tree.add(":SYSTem:ERRor", on_query=lambda call: self.errors.pop())
        return tree


__all__ = ["AcLoadTwin", "DEFAULT_MODEL", "RATED_CURRENT_A"]
