"""Simulated twin of an EV simulator / CP load speaking the ASCII protocol of
``instruments/ev_simulator/COMMANDS.md``, over TCP (``socket://host:port`` for pyserial,
``ASRLsocket://host:port::INSTR`` for pyvisa-py).

It keeps no physics of its own: every setting is written into the shared :class:`PhysicalModel` and
every reading comes from it, so what this twin imposes is exactly what the virtual charger's CP ADC
sees, and what it measures is what the charger drives.  The only state kept here is the
instrument's own: its error queue and its two timers.  Header matching and the error queue follow
the shared SCPI rules of :mod:`simulator.twins.scpi_parser`.

Both timers watch one input, as an EVSE tester's do: *mains presence at the EV side*
(``model.mains_present_at_ev()``: the supply on and the circuit through the contactor closed).  That
presence can change by the contactor's contacts, by the supply (an AC source cutting the mains) or by an
injected contactor fault (a relay box), so :class:`PresenceWatch` samples it on every model advance (the
bench's ticker advances the model every few ms) and timestamps each change from the exact device time
of whichever of those moved: the contacts' own movement time, ``model.mains_changed_at`` or
``model.contactor_fault_changed_at``.  A reading is therefore exact however late anyone asks.

* the contactor timer (``MEAS:TIME:CONT?``): from the last ``CP:STATe`` to the first change of
  presence after it;
* the trip timer (``MEAS:TIME:TRIP?``): from the last change of the injected residual current
  (``model.residual_changed_at``, moved by ``RCD:DC`` / ``RCD:AC``) to the first *loss* of presence after
  it, as an RCD tester times a trip.
"""
from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from simulator.physics.model import PhysicalModel
from simulator.twins.line_server import LineServer
from simulator.twins.scpi_parser import (
    Call,
    CommandTree,
    ErrorQueue,
    ScpiError,
    expect_params,
    parse_bool,
    parse_number,
)

IDN = "LEKTRICO-HIL,EV-SIMULATOR-TWIN,0,1.0"
DEFAULT_RAMP_A_PER_S = 1000.0  # what *RST restores; the EvLoad default (an electronic load)
MAX_LOAD_A = 80.0
MAX_RAMP_A_PER_S = 1000.0
MAX_RESIDUAL_MA = 1000.0
CP_STATES = ("A", "B", "C", "D", "E", "F")

Handler = Callable[[Call], "str | None"]
PRESENCE_HISTORY = 64  # presence changes kept (a trip timer reads the first loss after a residual change)


class _LastErrorQueue(ErrorQueue):
    """The SCPI error queue, remembering the error of the command being handled so that its
    reply line can be ``ERR,...`` (the shared parser only queues errors)."""

    last: ScpiError | None = None

    def push(self, error: ScpiError) -> None:
        self.last = error
        super().push(error)


def _error(code: int, detail: str) -> ScpiError:
    """A queued error with the standard text plus what was wrong (no ``"``: it is a SCPI string)."""
    standard = {-102: "Syntax error", -222: "Data out of range", -224: "Illegal parameter value",
                -230: "Data corrupt or stale"}[code]
    return ScpiError(code, f"{standard}; {detail.replace(chr(34), chr(39))}")


def _params(count: int, handler: Handler) -> Handler:
    """Enforce the parameter count (-109 missing, -108 too many) before the handler runs."""

    def checked(call: Call) -> str | None:
        expect_params(call, count)
        return handler(call)

    return checked


class PresenceWatch:
    """Mains presence at the EV side, sampled on every model advance, with each change's exact time.

    A change of presence is caused by whichever input moved since the last sample: the contacts
    (their movement time from the contactor's own timestamps, even when the firmware timestamped the
    command in the past), the supply's on/off (``model.mains_changed_at``) or an injected contactor fault
    (``model.contactor_fault_changed_at``).  The change is dated by the latest of those that moved, never
    before the previous change.  Runs under the model's lock (model observers do).
    """

    def __init__(self, model: PhysicalModel) -> None:
        self.model = model
        now = model.clock.now()
        self._inputs = self._read_inputs(now)
        self.present = self._presence(self._inputs)
        self.changes: deque[tuple[float, bool]] = deque(maxlen=PRESENCE_HISTORY)  # (device time, present)
        model.observe(self.sample)

    def _read_inputs(self, now: float) -> tuple[bool, bool, bool, bool]:
        c = self.model.contactor
        return self.model.mains.on, c.welded, c.stuck_open, c.contacts_closed(now)

    @staticmethod
    def _presence(inputs: tuple[bool, bool, bool, bool]) -> bool:
        on, welded, stuck_open, contacts = inputs
        return on and not stuck_open and (welded or contacts)

    def sample(self, now: float) -> None:
        """Record a change of presence since the last sample (a model observer: called before every
        advance with the device time ``now``)."""
        inputs = self._read_inputs(now)
        if inputs == self._inputs:
            return
        before, self._inputs = self._inputs, inputs
        present = self._presence(inputs)
        if present == self.present:
            return  # e.g. the contacts moved while welded, or the supply came back with them open
        model = self.model
        candidates = []
        if inputs[0] != before[0]:
            candidates.append(model.mains_changed_at)
        if inputs[1:3] != before[1:3]:
            candidates.append(model.contactor_fault_changed_at)
        if inputs[3] != before[3]:
            moved = model.contactor.last_change_at(now)
            if moved is not None:
                candidates.append(moved)
        at = max(candidates, default=now)
        if self.changes:
            at = max(at, self.changes[-1][0])
        self.present = present
        self.changes.append((at, present))

    def first_change_after(self, t: float, *, to: bool | None = None) -> float | None:
        """Device time of the first recorded change after ``t`` (to presence ``to`` if given)."""
        for at, present in self.changes:
            if at > t and (to is None or present == to):
                return at
        return None

    def changes_after(self, t: float) -> int:
        return sum(1 for at, _ in self.changes if at > t)


class EvSimulatorTwin(LineServer):
    """The command logic (:meth:`handle`) plus a line-oriented asyncio TCP server around it
    (:class:`LineServer`'s, with this protocol's stricter line rules in :meth:`_converse`)."""

    def __init__(self, model: PhysicalModel) -> None:
        super().__init__()
        self.model = model
        self.errors = _LastErrorQueue()
        self.presence = PresenceWatch(model)
        # Contactor timer: armed by CP:STATe, latched at the first command handled after the first
        # change of presence since (stale if presence had changed more than once by then).
        self._armed_at: float | None = None
        self._first_change_at: float | None = None
        self._changed_more_than_once = False
        self._command_set: list[str] = []
        self._tree = CommandTree()
        self._register_commands()

    def _add(self, pattern: str, *, on_set: Callable[[Call], None] | None = None,
             on_query: Callable[[], str] | None = None) -> None:
        """Register a header; settings take one parameter, queries none (COMMANDS.md)."""
        self._tree.add(
            pattern,
            on_set=None if on_set is None else _params(1, on_set),
            on_query=None if on_query is None else _params(0, lambda _: on_query()),
        )
        self._command_set += [pattern] * (on_set is not None) + [pattern + "?"] * (on_query is not None)

    def _register_commands(self) -> None:
        m = self.model
        self._tree.add("*RST", on_set=_params(0, self._reset))
        self._tree.add("*CLS", on_set=_params(0, lambda _: self.errors.clear()))
        self._command_set += ["*RST", "*CLS"]
        self._add("*IDN", on_query=lambda: IDN)
        self._add("SYSTem:ERRor", on_query=self.errors.pop)
        self._add("SYSTem:TIME", on_query=lambda: f"{m.clock.now():.6f}")
        self._add("CP:STATe", on_set=self._set_cp_state, on_query=self._cp_state)
        self._add("CP:DIODe:SHORt", on_set=lambda c: m.set_ev_fault(diode_shorted=parse_bool(c.params[0])),
                  on_query=lambda: _flag(m.ev.diode_shorted))
        self._add("PE:OPEN", on_set=lambda c: m.set_ev_fault(pe_open=parse_bool(c.params[0])),
                  on_query=lambda: _flag(m.ev.pe_open))
        self._add("LOAD:CURRent", on_set=lambda c: m.set_ev_load(max_current_a=_ranged(c, 0.0, MAX_LOAD_A, "A")),
                  on_query=lambda: f"{m.load.max_current_a:.3f}")
        self._add("LOAD:RAMP", on_set=self._set_load_ramp, on_query=lambda: f"{m.load.ramp_a_per_s:.3f}")
        self._add("LOAD:FOLLow", on_set=lambda c: self._set_follow(parse_bool(c.params[0])),
                  on_query=lambda: _flag(m.load.follows_pwm))
        self._add("RCD:DC", on_set=lambda c: m.inject_residual(dc_ma=_ranged(c, 0.0, MAX_RESIDUAL_MA, "mA")),
                  on_query=lambda: f"{m.residual_dc_ma:.3f}")
        self._add("RCD:AC", on_set=lambda c: m.inject_residual(ac_ma=_ranged(c, 0.0, MAX_RESIDUAL_MA, "mA")),
                  on_query=lambda: f"{m.residual_ac_ma:.3f}")
        self._add("MEASure:CP", on_query=self._measure_cp)
        self._add("MEASure:MAINs", on_query=lambda: _flag(m.mains_present_at_ev()))
        self._add("MEASure:CURRent", on_query=lambda: f"{m.electrical().current_a:.3f}")
        self._add("MEASure:TIME:CONTactor", on_query=self._contactor_delay)
        self._add("MEASure:TIME:TRIP", on_query=self._trip_time)

    def command_set(self) -> list[str]:
        """Every header this twin implements, queries with their ``?`` (COMMANDS.md's first column)."""
        return list(self._command_set)

    # --- the line protocol --------------------------------------------------------------------
    def handle(self, line: str) -> str:
        """One command line in, exactly one reply line out (without the terminator)."""
        line = line.strip()
        with self.model.lock:
            self.model.advance()  # the presence watch samples the line up to now
            self._latch_contactor_change()
            self.errors.last = None
            reply: str | None = None
            if not line:
                self.errors.push(_error(-102, "empty command"))
            elif ";" in line:
                self.errors.push(_error(-102, "one command per line"))
            else:
                reply = self._tree.dispatch(line, self.errors)
            if self.errors.last is not None:
                return f"ERR,{self.errors.last.entry()}"
            return "OK" if reply is None else reply

    # --- settings -----------------------------------------------------------------------------
    def _reset(self, _: Call) -> None:
        self.model.set_ev_fault(diode_shorted=False, cp_pe_short=False, pe_open=False, forced_negative=False)
        self.model.set_ev_state("A")
        self.model.set_ev_load(max_current_a=0.0, ramp_a_per_s=DEFAULT_RAMP_A_PER_S)
        self._set_follow(True)
        self.model.inject_residual(dc_ma=0.0, ac_ma=0.0)
        self._armed_at = None
        self._first_change_at = None
        self._changed_more_than_once = False

    def _set_cp_state(self, call: Call) -> None:
        letter = call.params[0].upper()
        if letter not in CP_STATES:
            raise _error(-224, f"CP state must be A-F, got {call.params[0]}")
        model = self.model
        before = model.cp_changed_at
        now = model.advance()
        if letter == "E":
            model.set_ev_fault(cp_pe_short=True, forced_negative=False)
        elif letter == "F":
            model.set_ev_fault(cp_pe_short=False, forced_negative=True)
        else:
            model.set_ev_fault(cp_pe_short=False, forced_negative=False)
            model.set_ev_state(letter)
        # Arm at the instant the line moved (what the charger timestamps from), else at the command.
        self._armed_at = model.cp_changed_at if model.cp_changed_at != before else now
        self._first_change_at = None
        self._changed_more_than_once = False

    def _cp_state(self) -> str:
        ev = self.model.ev
        return "E" if ev.cp_pe_short else "F" if ev.forced_negative else ev.state

    def _set_load_ramp(self, call: Call) -> None:
        ramp = _ranged(call, 0.0, MAX_RAMP_A_PER_S, "A/s")
        if ramp <= 0.0:
            raise _error(-222, "ramp must be above 0 A/s")
        self.model.set_ev_load(ramp_a_per_s=ramp)

    def _set_follow(self, on: bool) -> None:
        """ON: the EV draws no more than the PWM advertises (within LOAD:CURR); OFF: it draws LOAD:CURR
        whatever the PWM says (the overcurrent stimulus)."""
        with self.model.lock:
            self.model.advance()
            self.model.load.follows_pwm = on

    # --- measurements -------------------------------------------------------------------------
    def _measure_cp(self) -> str:
        levels = self.model.cp_levels()
        # A scope's resolution: 0.01 % duty, 0.01 V, 0.01 Hz; no added noise (deterministic).
        return (f"{levels.frequency_hz:.2f},{levels.duty * 100.0:.2f},"
                f"{levels.high_v + 0.0:.2f},{levels.low_v + 0.0:.2f}")

    def _latch_contactor_change(self) -> None:
        """Latch the first change of presence after the armed ``CP:STATe`` (its exact time comes from
        the presence watch), at the first command handled after it.

        If presence had changed more than once by then, nobody read the timer between the moves: the
        reading is refused as stale (-230) rather than guessing which move the test meant (a bounce, or
        a close and a re-open); a suite that polls ``MEAS:MAIN?`` always reads it in time.
        """
        if self._armed_at is None or self._first_change_at is not None:
            return
        first = self.presence.first_change_after(self._armed_at)
        if first is None:
            return
        self._first_change_at = first
        self._changed_more_than_once = self.presence.changes_after(self._armed_at) > 1

    def _contactor_delay(self) -> str:
        if self._changed_more_than_once:
            raise _error(-230, "mains presence changed more than once since CP:STATe")
        if self._armed_at is None or self._first_change_at is None:
            return "NAN"
        return f"{(self._first_change_at - self._armed_at) * 1000.0:.3f}"

    def _trip_time(self) -> str:
        """From the last change of the residual current to the first loss of mains presence after it."""
        since = self.model.residual_changed_at
        lost = self.presence.first_change_after(since, to=False)
        if lost is None:
            return "NAN"
        return f"{(lost - since) * 1000.0:.3f}"

    # --- the TCP server (start/stop: LineServer's) -------------------------------------------
    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Every complete line gets exactly one reply; a line cut short by the peer closing gets none,
        and a line over the reader's limit ends the session (no reply either)."""
        try:
            while True:
                raw = await reader.readline()
                if not raw:
                    break
                if not raw.endswith(b"\n"):
                    break  # peer closed mid-line: nobody is waiting for a reply
                reply = self.handle(raw.decode("ascii", errors="replace"))
                writer.write(reply.encode("ascii", errors="replace") + b"\n")
                await writer.drain()
        except ValueError:  # the line is over the reader's limit
            pass


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _ranged(call: Call, low: float, high: float, unit: str) -> float:
    """The call's number parameter within ``low``…``high`` (-104 not a number, -222 out of range)."""
    value = parse_number(call.params[0])
    if not low <= value <= high:
        raise _error(-222, f"{value:g} {unit} outside {low:g}..{high:g} {unit}")
    return value
