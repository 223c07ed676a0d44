"""Chroma 63800-series programmable AC/DC electronic load (63802/63803/63804) as an EV load.

On a composite bench the electronic load *is* the EV's battery charger: it draws the current the rig
programs, in constant-current mode, and its own voltmeter shows whether the charger's contactor has
put mains on the EV side.  So one instrument serves two roles:

* ``ev_load`` with features ``current`` and ``overdraw``.  The 63800 decodes no PWM (the rig keeps
  the current within what the PWM advertises), so it overdraws by nature: told a current, it draws it
  whatever the PWM says (:meth:`Chroma63800Load.set_overdraw`, the overcurrent stimulus).  No
  programmable slew rate for CC mode could be confirmed in its manual, so ``ramp`` is not offered and
  asking for one raises rather than being ignored.
* ``mains_sense`` with feature ``present``: ``:MEAS:VOLT?`` above a threshold (100 V by default:
  far above noise with the contactor open, far below the 230 V the charger switches through).

Rated rms current: 18 A (63802), 36 A (63803), 45 A (63804) (the OCP bit of ``[LOAD:]PROTect?``);
the 1P7K charges up to 32 A, so a full-current bench needs a 63803 or 63804.

Sources (cited per command below):

* [M] *Programmable AC/DC Electronic Load 63800 Series Operation & Programming Manual*, chapter 8
  "Remote Operation" (https://manualshive.com/en/manual/chroma/63800-series/2604567): p. 8-2 data
  formats (NR1/NR2, ASCII), p. 8-6 ``*IDN?`` (example reply ``Chroma, 63804, 0, 1.00``) and
  ``*RST``, p. 8-13 ``[LOAD:]MODE`` (``0|CURR, 1|POW, 2|VOLT, 3|RES, 4|RLC, 5|RLCP, 6|INRUSH,
  7|RECT``) and ``[LOAD:]PROTect?``.
* [D] a public pyvisa driver class ``Chroma63800`` for the 63802 and its example script: it sends
  ``:LOAD:MODE CURR``, ``:LOAD:CURR <A>``, ``:LOAD:CURR:PEAK:MAX <A>``, ``:LOAD 1``/``:LOAD 0``
  (``:LOAD ON``/``:LOAD OFF`` in its comments), ``:MEAS:VOLT?``, ``:MEAS:CURR?``, ``:MEAS:POW?``,
  with ``\\n`` terminations, and checks ``*IDN?`` for ``Chroma``/``63802``.

Not confirmed in either source (marked "assumed:" where used): the error queue ``:SYST:ERR?`` with
SCPI ``<code>,"<message>"`` replies, ``*CLS``, and the peak rating of three times the rms rating.
"""
from __future__ import annotations

import math
from typing import Any, ClassVar

import pyvisa
import pyvisa.errors

from instruments.power_analyzer.scpi import (
    ScpiInstrument,
    Transport,
    control,
    measurement,
    parse_number,
)
from instruments.power_analyzer.wt300 import Identification
from instruments.visa import close_on_failure, open_visa_resource

ON_OFF = {True: ("ON", "1"), False: ("OFF", "0")}
# [M] p. 8-13: the setting takes the name or its number; the query answers the name (RLCPOW for RLCP).
LOAD_MODES = {"current": ("CURR", "0"), "power": ("POW", "1"), "voltage": ("VOLT", "2"),
              "resistance": ("RES", "3"), "rlc": ("RLC", "4"), "rlc_power": ("RLCP", "5", "RLCPOW"),
              "inrush": ("INRUSH", "6"), "rectified": ("RECT", "7")}

DEFAULT_MAINS_PRESENT_V = 100.0
# assumed: the 63800's peak current rating is three times its rms rating (54 A peak for the 63802's
# 18 A rms), so a peak limit of 3 x the programmed rms current is always within range and leaves a
# sinusoidal (crest factor 1.414) or distorted charger current unclipped.
PEAK_PER_RMS = 3.0

CLEAR_STATUS = "*CLS"  # assumed: IEEE 488.2 common command, as *RST and *IDN? in [M] p. 8-6


class Chroma63800Load(ScpiInstrument):
    """63800-series AC load: the EV's current sink and the EV-side mains voltmeter.

    Build with :meth:`open` (VISA) or :meth:`from_resource` (a bench profile's resource table), or
    around any transport for tests.  ``peak_max_a`` None means 3 x the programmed current each time.
    """

    ROLES: ClassVar[dict[str, frozenset[str]]] = {
        "ev_load": frozenset({"current", "overdraw"}),
        "mains_sense": frozenset({"present"}),
    }
    TIMERS: ClassVar[frozenset[str]] = frozenset()

    error_query = ":SYST:ERR?"  # assumed: SCPI error queue (not confirmed for the 63800)
    connection_errors = (OSError, EOFError, pyvisa.errors.VisaIOError, pyvisa.errors.InvalidSession)

    identification = measurement("*IDN?", "Manufacturer, model, serial, firmware ([M] p. 8-6).",
                                 get_process=Identification.parse)
    mode = control(":LOAD:MODE?", ":LOAD:MODE {}", "Operating mode ([M] p. 8-13).", map=LOAD_MODES)
    current_a = control(":LOAD:CURR?", ":LOAD:CURR {}", "CC-mode rms current setting, A ([D]).",
                        get_process=parse_number)
    peak_current_max_a = control(":LOAD:CURR:PEAK:MAX?", ":LOAD:CURR:PEAK:MAX {}",
                                 "Peak current limit in CC mode, A ([D]).", get_process=parse_number)
    enabled = control(":LOAD?", ":LOAD {}", "Load on (sinking) or off ([D]).", map=ON_OFF)
    measured_voltage_v = measurement(":MEAS:VOLT?", "Input rms voltage, V ([D]).", get_process=parse_number)
    measured_current_a = measurement(":MEAS:CURR?", "Input rms current, A ([D]).", get_process=parse_number)
    measured_power_w = measurement(":MEAS:POW?", "Input active power, W ([D]).", get_process=parse_number)

    def __init__(self, transport: Transport, *, check_set_errors: bool = True, name: str = "AC load",
                 mains_present_v: float = DEFAULT_MAINS_PRESENT_V, peak_max_a: float | None = None,
                 resource_manager: Any = None) -> None:
        super().__init__(transport, check_set_errors=check_set_errors, name=name)
        if not math.isfinite(mains_present_v) or mains_present_v <= 0:
            raise ValueError(f"mains_present_v must be a positive voltage, got {mains_present_v!r}")
        if peak_max_a is not None and not (math.isfinite(peak_max_a) and peak_max_a > 0):
            raise ValueError(f"peak_max_a must be a positive current or None, got {peak_max_a!r}")
        self.mains_present_v = float(mains_present_v)
        self.peak_max_a = peak_max_a
        self._resource_manager = resource_manager

    # --- opening -------------------------------------------------------------------------------
    @classmethod
    def open(cls, resource: str, timeout_s: float = 2.0, visa_library: str = "@py",
             **kwargs: Any) -> Chroma63800Load:
        """Open ``resource`` through pyvisa (:func:`instruments.visa.open_visa_resource`):
        terminations for raw sockets and serial lines ([D] uses ``\\n`` both ways; without them
        pyvisa-py waits for an END that never comes), Nagle off on sockets, a timeout on every
        read; then clear the error queue so every error reported belongs to this session."""
        manager, visa = open_visa_resource(resource, timeout_s, visa_library)
        load = cls(visa, name=f"AC load {resource}", resource_manager=manager, **kwargs)
        return close_on_failure(load, lambda opened: opened.write(CLEAR_STATUS))

    @classmethod
    def from_resource(cls, settings: dict[str, Any]) -> Chroma63800Load:
        """Profile keys: ``resource`` (VISA address), ``timeout_s`` (2), ``mains_present_v`` (100 V),
        ``peak_max_a`` (absent: 3 x the programmed current)."""
        peak = settings.get("peak_max_a")
        return cls.open(str(settings["resource"]), timeout_s=float(settings.get("timeout_s", 2.0)),
                        mains_present_v=float(settings.get("mains_present_v", DEFAULT_MAINS_PRESENT_V)),
                        peak_max_a=None if peak is None else float(peak))

    # --- role: ev_load -------------------------------------------------------------------------
    def set_load_current(self, amps: float, ramp_a_per_s: float | None = None) -> None:
        """Draw ``amps`` A rms in constant-current mode, or nothing at 0.

        The peak limit goes before the current so the new setting is never clipped by the old one.
        A ramp is refused: this load offers no ``ramp`` feature, and a silently ignored ramp would
        let a suite believe it tested one.
        """
        if ramp_a_per_s is not None:
            raise ValueError("the Chroma 63800 has no programmable CC slew rate (no 'ramp' feature); "
                             "ramp in the rig or bind ev_load to an instrument that has one")
        if not math.isfinite(amps) or amps < 0:
            raise ValueError(f"load current must be a finite current >= 0 A, got {amps!r}")
        if amps == 0:
            self.load_safe()
            return
        peak = self.peak_max_a if self.peak_max_a is not None else round(PEAK_PER_RMS * amps, 3)
        self.mode = "current"
        self.peak_current_max_a = peak
        self.current_a = amps
        self.enabled = True

    def set_overdraw(self, amps: float | None) -> None:
        """Draw ``amps`` whatever the PWM advertises: a plain load does nothing else, so this is
        :meth:`set_load_current`.  None ends the overdraw with the load off (0 A) until the rig's PWM
        follower sets the current the PWM allows (rig/ev.py), so nothing beyond it is drawn meanwhile."""
        self.set_load_current(0.0 if amps is None else amps)

    def load_current_a(self) -> float:
        """The rms current the load measures now (A)."""
        return float(self.measured_current_a)

    def load_safe(self) -> None:
        """Load off: no current drawn whatever the setting."""
        self.enabled = False

    # --- role: mains_sense ---------------------------------------------------------------------
    def mains_present(self) -> bool:
        """Mains at the EV side: the input voltage is above ``mains_present_v``."""
        return float(self.measured_voltage_v) > self.mains_present_v

    # --- identity and lifetime -----------------------------------------------------------------
    def identify(self) -> str:
        ident = self.identification
        return f"{ident.manufacturer},{ident.model},{ident.serial},{ident.firmware}"

    def __enter__(self) -> Chroma63800Load:
        return self


__all__ = ["Chroma63800Load", "DEFAULT_MAINS_PRESENT_V", "LOAD_MODES", "PEAK_PER_RMS"]
