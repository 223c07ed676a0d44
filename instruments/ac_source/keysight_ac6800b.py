"""Keysight AC6800B-series basic AC source (AC6801B … AC6804B) as the charger's programmable supply.

Between the grid and the charger, the source is the bench's ``ac_source`` role: the voltage (over- and
under-voltage tests), the frequency, and the output itself (a mains loss is the output switched off).
Features ``voltage``, ``frequency`` and ``output``.

Sources:

* [G] *Keysight AC6800B Series Basic AC Sources, Operating and Service Guide*, chapter 3 "SCPI
  Programming Reference" (https://manualshive.com/en/manual/keysight-technologies/ac6801b/1961705,
  pages 95-166): p. 98 command separators and terminators (``<NL>``, also ``<CR><NL>``), p. 99 numeric,
  boolean (``ON|1|OFF|0``; a boolean query returns 0 or 1) and suffix rules; p. 105 the status byte
  ("Use SYSTem:ERRor? to read and delete errors"); p. 126 the FETCh/MEASure queries (``<quantity>:AC?``
  is the AC rms value, returned as ``+1.23456E+00``); p. 130 FREQuency, p. 141 OUTPut, p. 159
  VOLTage subsystems; p. 133 the IEEE-488 common commands (``*IDN?``, ``*CLS``).
* [A] the same guide for the earlier AC6800 series (https://manualshive.com/en/manual/keysight-
  technologies/ac6800-series/1961704, p. 153): ``[SOURce:]VOLTage[:LEVel][:IMMediate][:AMPLitude]
  <value>`` sets the AC rms voltage, "Units are in volts (rms)", range checked against
  ``VOLTage:RANGe``; ``FREQuency 100,90,110`` shows the frequency command (p. 93).
* [S] the AC6800B data sheet (https://www.manualshelf.com/manual/keysight/ac6802b/2-1-datasheet-english,
  p. 7): 155 V / 310 V output ranges.

Commands used (short forms, as [G] p. 93 allows): ``VOLT <V>``, ``FREQ <Hz>``, ``OUTP ON|OFF``,
``MEAS:VOLT:AC?``, ``VOLT?``, ``FREQ?``, ``OUTP?``, ``*IDN?``, ``*CLS``, ``SYST:ERR?`` after every
setting.  The voltage range is not changed here (changing it on a live charger is a bench decision):
the source must be on its 310 V range for the over-voltage tests; a voltage beyond the range is refused
by the source (-222), which raises naming the command.  ``*RST`` is never sent: its defaults would cut
the charger's supply.
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

NOMINAL_V = 230.0
NOMINAL_HZ = 50.0
CLEAR_STATUS = "*CLS"
ON_OFF = {True: ("ON", "1"), False: ("OFF", "0")}


class KeysightAc6800bSource(ScpiInstrument):
    """The AC source at the charger's input.  Build with :meth:`open` (VISA) or :meth:`from_resource`
    (a bench profile's resource table), or around any transport for tests."""

    ROLES: ClassVar[dict[str, frozenset[str]]] = {"ac_source": frozenset({"voltage", "frequency", "output"})}
    TIMERS: ClassVar[frozenset[str]] = frozenset()

    error_query = "SYST:ERR?"
    connection_errors = (OSError, EOFError, pyvisa.errors.VisaIOError, pyvisa.errors.InvalidSession)

    identification = measurement("*IDN?", "Manufacturer, model, serial, firmware ([G] p. 133).",
                                 get_process=Identification.parse)
    voltage_v = control("VOLT?", "VOLT {}", "Programmed AC rms voltage, V ([A] p. 153, [G] p. 159).",
                        get_process=parse_number)
    frequency_hz = control("FREQ?", "FREQ {}", "Programmed output frequency, Hz ([G] p. 130).",
                           get_process=parse_number)
    output_on = control("OUTP?", "OUTP {}", "Output relay on or off ([G] p. 141).", map=ON_OFF)
    measured_voltage_v = measurement("MEAS:VOLT:AC?", "Measured AC rms output voltage, V ([G] p. 126).",
                                     get_process=parse_number)

    def __init__(self, transport: Transport, *, check_set_errors: bool = True, name: str = "AC source",
                 resource_manager: Any = None) -> None:
        super().__init__(transport, check_set_errors=check_set_errors, name=name)
        self._resource_manager = resource_manager

    # --- opening -------------------------------------------------------------------------------
    @classmethod
    def open(cls, resource: str, timeout_s: float = 2.0, visa_library: str = "@py",
             **kwargs: Any) -> KeysightAc6800bSource:
        """Open ``resource`` through pyvisa (:func:`instruments.visa.open_visa_resource`), then clear the
        error queue so every error reported belongs to this session.  The output is left as found:
        the charger stays powered until a test asks otherwise."""
        manager, visa = open_visa_resource(resource, timeout_s, visa_library)
        source = cls(visa, name=f"AC source {resource}", resource_manager=manager, **kwargs)
        return close_on_failure(source, lambda opened: opened.write(CLEAR_STATUS))

    @classmethod
    def from_resource(cls, settings: dict[str, Any]) -> KeysightAc6800bSource:
        """Profile keys: ``resource`` (VISA address), ``timeout_s`` (2)."""
        return cls.open(str(settings["resource"]), timeout_s=float(settings.get("timeout_s", 2.0)))

    # --- role: ac_source -----------------------------------------------------------------------
    def set_voltage(self, volts: float) -> None:
        """Program the AC rms output voltage (the source refuses one beyond its range)."""
        self.voltage_v = _finite(volts, "voltage", 0.0)

    def set_frequency(self, hertz: float) -> None:
        """Program the output frequency (the source refuses one beyond its 40-500 Hz)."""
        self.frequency_hz = _finite(hertz, "frequency", 0.0, exclusive=True)

    def set_output(self, on: bool) -> None:
        """Output on (the charger is supplied) or off (a mains loss)."""
        self.output_on = bool(on)

    def measured_voltage(self) -> float:
        """What the source measures at its output terminals (V rms; 0 with the output off)."""
        return float(self.measured_voltage_v)

    def source_safe(self) -> None:
        """Nominal supply: 230 V, 50 Hz, then the output on (the charger powered at the nominal
        voltage from its first instant, never at a test's leftover)."""
        self.voltage_v = NOMINAL_V
        self.frequency_hz = NOMINAL_HZ
        self.output_on = True

    # --- identity and lifetime -----------------------------------------------------------------
    def identify(self) -> str:
        ident = self.identification
        return f"{ident.manufacturer},{ident.model},{ident.serial},{ident.firmware}"

    def __enter__(self) -> KeysightAc6800bSource:
        return self


def _finite(value: float, what: str, low: float, *, exclusive: bool = False) -> float:
    """``value`` as a float if finite and above ``low`` (or at it, unless ``exclusive``); nothing is
    sent otherwise."""
    number = float(value)
    if not math.isfinite(number) or number < low or (exclusive and number == low):
        bound = f"> {low:g}" if exclusive else f">= {low:g}"
        raise ValueError(f"{what} must be a finite number {bound}, got {value!r}")
    return number


__all__ = ["KeysightAc6800bSource", "NOMINAL_HZ", "NOMINAL_V"]
