"""Fluke 5522A multi-product calibrator as the bench's residual-current source.

A test wire through the charger's residual-current sensor core, driven by the calibrator's current
output, makes the sensor see a DC or AC residual current in mA without touching the mains circuit:
role ``residual_current`` with features ``dc`` and ``ac``.  A calibrator sources one function at a
time, so DC and AC together are refused before anything is sent.

The 55xx remote language is Fluke's own, not SCPI (IEEE 488.2 common commands plus mnemonics):

* ``OUT <amplitude> MA, <frequency> HZ`` sets the output; ``MA`` is milliamperes (5500A Reference
  Guide, "Units Accepted in Parameters and Responses", https://manualmachine.com/fluke/5500a/7598105-
  reference-guide; one space after a command is required, 5520A Programmers Reference, "General
  Syntax Rules"). A frequency of 0 HZ selects DC (the 5500 example ``OUT 0 V, 0 Hz`` in the public
  pyvisa-examples ``Fluke_5500-Calibrator/DC_F5500.py``).  DC is always sent *with* ``0 HZ``: an
  ``OUT`` without a frequency keeps the previous one (the Fluke 57xx manual's coupled-command
  example: ``OUT 1V, 1 MHZ`` then ``OUT 100V`` means 100 V at 1 MHz), so a bare ``OUT 6 MA`` after
  an AC test would source 6 mA *AC*.
* ``OPER`` connects the output, ``STBY`` disconnects it; ``OUT`` alone never energises anything.
* ``ERR?`` pops the error queue as ``<code>,"<text>"`` (``0,"No Error"`` when empty), ``OUT?`` answers
  ``<amplitude>,<unit>,<amplitude2>,<unit2>,<frequency>`` (e.g. ``0.0000000E+00,V,0E+00,0,0.00E+00``),
  ``OPER?`` answers 1/0, ``*IDN?`` ``FLUKE,5522A,<serial>,<versions>`` (``FLUKE,5522A,1972905,
  1.1+1.3+1.8``): replies as captured from a 5522A over RS-232 by a public .NET driver (Maba VCT
  ``Fluke5522aTests``), which also notes that RS-232 needs REMOTE I/F = *comp* in SETUP (in *term*
  the calibrator echoes each command and adds an ``N>`` prompt).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import pyvisa
import pyvisa.errors

from instruments.power_analyzer.scpi import (
    ScpiInstrument,
    Transport,
    format_number,
    measurement,
)
from instruments.power_analyzer.wt300 import Identification
from instruments.visa import close_on_failure, open_visa_resource

DEFAULT_AC_FREQUENCY_HZ = 50.0
CLEAR_STATUS = "*CLS"
OPERATE = "OPER"
STANDBY = "STBY"
OUTPUT_MA = "OUT {} MA, {} HZ"


@dataclass(frozen=True)
class Output:
    """``OUT?``: the primary amplitude in its base unit (A for current), and the frequency (0: DC)."""

    amplitude: float
    unit: str
    frequency_hz: float

    @classmethod
    def parse(cls, reply: str) -> Output:
        fields = [field.strip() for field in reply.split(",")]
        if len(fields) != 5 or not fields[1]:
            raise ValueError("OUT? must have five fields: amplitude, unit, amplitude2, unit2, frequency")
        return cls(float(fields[0]), fields[1].upper(), float(fields[4]))


class Fluke5522aResidualSource(ScpiInstrument):
    """5522A current output through the residual-current sensor.  Build with :meth:`open` or
    :meth:`from_resource`, or around any transport for tests."""

    ROLES: ClassVar[dict[str, frozenset[str]]] = {"residual_current": frozenset({"dc", "ac"})}
    TIMERS: ClassVar[frozenset[str]] = frozenset()

    error_query = "ERR?"
    connection_errors = (OSError, EOFError, pyvisa.errors.VisaIOError, pyvisa.errors.InvalidSession)

    identification = measurement("*IDN?", "Manufacturer, model, serial, firmware versions.",
                                 get_process=Identification.parse)
    output = measurement("OUT?", "The output setting (amplitude, unit, frequency).", get_process=Output.parse)
    operating = measurement("OPER?", "Output connected (operate) or in standby.", map={True: "1", False: "0"})

    def __init__(self, transport: Transport, *, check_set_errors: bool = True, name: str = "calibrator",
                 ac_frequency_hz: float = DEFAULT_AC_FREQUENCY_HZ, resource_manager: Any = None) -> None:
        super().__init__(transport, check_set_errors=check_set_errors, name=name)
        if not (math.isfinite(ac_frequency_hz) and ac_frequency_hz > 0):
            raise ValueError(f"ac_frequency_hz must be a positive frequency, got {ac_frequency_hz!r}")
        self.ac_frequency_hz = float(ac_frequency_hz)
        self._resource_manager = resource_manager

    # --- opening -------------------------------------------------------------------------------
    @classmethod
    def open(cls, resource: str, timeout_s: float = 2.0, visa_library: str = "@py",
             **kwargs: Any) -> Fluke5522aResidualSource:
        """Open ``resource`` through pyvisa (:func:`instruments.visa.open_visa_resource`: ``\\n``
        terminations for raw sockets and serial lines, Nagle off on sockets, a timeout on every
        read; the 5522A ends RS-232 replies with CR LF, and ``strip()`` drops the CR), then clear the
        error queue so every error reported belongs to this session.  The output is left as found:
        forcing standby is the strategy's job (:meth:`residual_safe`)."""
        manager, visa = open_visa_resource(resource, timeout_s, visa_library)
        source = cls(visa, name=f"calibrator {resource}", resource_manager=manager, **kwargs)
        return close_on_failure(source, lambda opened: opened.write(CLEAR_STATUS))

    @classmethod
    def from_resource(cls, settings: dict[str, Any]) -> Fluke5522aResidualSource:
        """Profile keys: ``resource`` (VISA address), ``timeout_s`` (2), ``ac_frequency_hz`` (50)."""
        return cls.open(str(settings["resource"]), timeout_s=float(settings.get("timeout_s", 2.0)),
                        ac_frequency_hz=float(settings.get("ac_frequency_hz", DEFAULT_AC_FREQUENCY_HZ)))

    # --- role: residual_current ----------------------------------------------------------------
    def set_residual(self, dc_ma: float = 0.0, ac_ma: float = 0.0) -> None:
        """Source ``dc_ma`` mA DC (either sign) or ``ac_ma`` mA rms at ``ac_frequency_hz``; 0/0 is
        standby.  Both non-zero is impossible on a calibrator and raises before anything is sent."""
        if not (math.isfinite(dc_ma) and math.isfinite(ac_ma)):
            raise ValueError(f"residual currents must be finite, got dc={dc_ma!r} mA, ac={ac_ma!r} mA")
        if ac_ma < 0:
            raise ValueError(f"an AC residual current is an rms value >= 0 mA, got {ac_ma!r}")
        if dc_ma and ac_ma:
            raise ValueError(f"a calibrator sources DC or AC, not both: dc={dc_ma} mA, ac={ac_ma} mA")
        if not dc_ma and not ac_ma:
            self.residual_safe()
            return
        if dc_ma:
            self.send(OUTPUT_MA.format(format_number(dc_ma), 0))
        else:
            self.send(OUTPUT_MA.format(format_number(ac_ma), format_number(self.ac_frequency_hz)))
        self.send(OPERATE)

    def residual_safe(self) -> None:
        """Standby: the output terminals are disconnected, no current in the test wire."""
        self.send(STANDBY)

    # --- identity and lifetime -----------------------------------------------------------------
    def identify(self) -> str:
        ident = self.identification
        return f"{ident.manufacturer},{ident.model},{ident.serial},{ident.firmware}"

    def __enter__(self) -> Fluke5522aResidualSource:
        return self


__all__ = ["DEFAULT_AC_FREQUENCY_HZ", "Fluke5522aResidualSource", "Output"]
