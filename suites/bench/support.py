"""Helpers of the bench suites: one moment of the charger seen three ways.

The charger's own report (RPC), the EV side (the EV simulator: CP line, mains presence, load
current, its contactor timer) and the mains side (the power analyzer) are read together, so a
test can state what each viewpoint must show.  Every wait polls against a deadline in device
seconds (``bench.clock``); nothing sleeps a fixed time.

Bench suites import from here (``from suites.bench.support import observe, charge``); the names
below are the stable interface.  The fixtures live in ``suites/bench/conftest.py``.

Fixtures
    ``ev``        the EV simulator, with the bench forced into the safe state before and after the test
    ``analyzer``  the power analyzer, items U, I, P, S, LAMBda, FU, update period ``ANALYZER_UPDATE_S``
    ``trace``     a :class:`SessionTrace`; whatever it recorded is attached as a PNG after the test

Helpers
    ``limit(bench, name) -> Limit``                               profile limit, or a proposed default
    ``read_mains(analyzer) -> Reading``                           one analyzer update, NAN items as None
    ``pwm_on(cp) / advertised_a(cp)``                             what a CP measurement offers the EV
    ``call_if_reachable(charger, method, params=None)``           an RPC result, None while rebooting
    ``observe(charger, ev, analyzer=None) -> Observation``        the three viewpoints at once
    ``wait_observed(bench, charger, ev, analyzer, predicate, *, within_s, what, trace=None)``
    ``hold_observed(bench, charger, ev, analyzer, predicate, *, for_s, what, trace=None)``
    ``charge(bench, charger, ev, analyzer=None, *, load_a, state, authorize, trace) -> Observation``
    ``unplug(bench, charger, ev, analyzer=None, *, trace) -> Observation``
    ``stamp(ev, action) / astamp(ev, coroutine_fn) -> (Bracket, result)``  when a bench action happened
    ``wait_edge(bench, ev, probe, predicate, *, since, within_s, what) -> Edge``
    ``time_contactor(bench, ev, stimulus, *, closed_after, within_s, what, rearm=None) -> ContactorTiming``
    ``check_limit(name, value, limit, bound="max", note="") -> Measurement``  recorded with origin and margin
    ``label_ambiguity(id, reading)``                              spec ambiguity label (listed or proposed)
"""
from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from fixtures.bench import Bench
from fixtures.profile import Limit
from instruments.charger_rpc.values import ocpp_spelling
from instruments.charger_rpc import ChargerClient, ChargerUnreachable, DeviceError, MalformedReply
from instruments.ev_simulator import EvSimulator
from instruments.ev_simulator.interface import CpMeasurement
from instruments.power_analyzer.scpi import InvalidReading
from instruments.power_analyzer.wt300 import ITEM_FIELDS, PowerAnalyzer, Reading
from reports.allure_support import ambiguity
from reports.plots import TraceSample, attach_png, session_trace
from reference.iec61851 import current_for_duty_percent
from rig.measurement import Measurement

T = TypeVar("T")

# --- bench decisions (not IEC limits): thresholds that tell "flows" from "does not flow" -----------
NO_CURRENT_A = 0.5
"""Below this the mains current counts as none (analyzer noise floor; the safe-state fixture's figure)."""
CHARGING_CURRENT_MIN_A = 5.0
"""Above this, with a load set, current counts as flowing (below the charger's 6 A minimum, IEC §3)."""
DEFAULT_LOAD_A = 16.0
"""The most the simulated EV draws unless a test says otherwise (it still follows the PWM)."""
ANALYZER_ITEMS = ("U", "I", "P", "S", "LAMBda", "FU")
ANALYZER_UPDATE_S = 0.1
"""Fastest WT300E update: a reading lags the mains by at most two update periods."""

def limit(bench: Bench, name: str) -> Limit:
    """The profile's limit ``name`` with its value, unit and origin (benches/default-limits.toml)."""
    return bench.profile.limit(name)


def charging_deadline_s(bench: Bench) -> float:
    """From state C to current flowing: the contactor closes, then the EV follows the PWM (§4)."""
    return bench.limit("contactor_close_s") + limit(bench, "ev_follow_s").value


def settle_s(bench: Bench) -> float:
    """From a contactor change to the analyzer showing it (two update periods) plus the state report."""
    return limit(bench, "state_report_s").value + 2 * ANALYZER_UPDATE_S


# --- measurements as data ------------------------------------------------------------------------------
def check_limit(name: str, value: float, limit_: Limit, bound: Literal["max", "min"] = "max",
                note: str = "") -> Measurement:
    """Check ``value`` against a bench-profile limit as a :class:`rig.measurement.Measurement`:
    recorded pass or fail with its margin and the limit's name and origin (``note``: how it was
    measured, e.g. the bracket of a timing)."""
    origin = f"{limit_.name}: {limit_.origin}" + (f"; {note}" if note else "")
    measurement = Measurement(name, unit=limit_.unit, origin=origin,
                              high=limit_.value if bound == "max" else None,
                              low=limit_.value if bound == "min" else None)
    measurement.check(value)
    return measurement


# --- ambiguities -------------------------------------------------------------------------------------
label_ambiguity = ambiguity
"""Label the test with a spec ambiguity (reference/spec/ambiguities.py) and the reading the charger chose."""


# --- the analyzer ------------------------------------------------------------------------------------
def read_mains(analyzer: PowerAnalyzer) -> Reading:
    """One analyzer update.  Without current the instrument has no power factor (NAN): such items are
    None; voltage, current and power must be valid (InvalidReading otherwise)."""
    try:
        return analyzer.read()
    except InvalidReading:
        values: dict[str, float | None] = {}
        for item in analyzer.items:
            try:
                values[ITEM_FIELDS[item]] = analyzer.read_item(item)
            except InvalidReading:
                if item in ("U", "I", "P"):
                    raise
                values[ITEM_FIELDS[item]] = None
        return Reading(items=analyzer.items, **values)


# --- the charger ----------------------------------------------------------------------------------------
async def call_if_reachable(charger: ChargerClient, method: str, params: dict[str, Any] | None = None) -> Any:
    """``charger.call``, or None while the charger does not answer (rebooting: connection refused or
    the HTTP 503 of a closing server).  A DeviceError is still raised: the charger answered."""
    try:
        return await charger.call(method, params)
    except (ChargerUnreachable, MalformedReply):
        return None


_NATIVE_CONFIG_VALUE: list[bool] = []  # learned once per run: does App_config.Set take native JSON values?
KEY_FORMAT = -5  # spec chapter 3


_spelled = ocpp_spelling  # spec 6.4 types config_value as a string


async def app_config_set(charger: ChargerClient, key: str, value: Any) -> Any:
    """App_config.Set as a bench *precondition*, in the form this charger takes (ambiguity
    config_value_type, judged by the API suites): the native JSON value, or, when the charger answers
    -5 key format to it, the 'OCPP style' string the spec types config_value as.  Learned once."""
    if _NATIVE_CONFIG_VALUE and not _NATIVE_CONFIG_VALUE[0]:
        return await charger.call("App_config.Set", {"config_key": key, "config_value": _spelled(value)})
    try:
        answer = await charger.call("App_config.Set", {"config_key": key, "config_value": value})
    except DeviceError as error:
        if error.code != KEY_FORMAT or _NATIVE_CONFIG_VALUE or _spelled(value) == value:
            raise
        answer = await charger.call("App_config.Set", {"config_key": key, "config_value": _spelled(value)})
        _NATIVE_CONFIG_VALUE.append(False)
        return answer
    if not _NATIVE_CONFIG_VALUE and _spelled(value) != value:
        _NATIVE_CONFIG_VALUE.append(True)
    return answer


# --- the CP line ------------------------------------------------------------------------------------
def pwm_on(cp: CpMeasurement) -> bool:
    """The CP line switches (x2 sub-state): a PWM is present."""
    return cp.frequency_hz > 0 and 0.0 < cp.duty_percent < 100.0


def advertised_a(cp: CpMeasurement) -> float | None:
    """The current a measured CP line advertises to the EV (reference.iec61851, EV side); None: none."""
    return current_for_duty_percent(cp.duty_percent) if pwm_on(cp) else None


# --- observations ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Observation:
    """The charger, the EV side and the mains, read one after the other (a few ms apart).

    ``time_s`` is the EV simulator's device time when the observation began.
    """

    time_s: float
    info: dict[str, Any]
    adc: dict[str, Any]
    cp: CpMeasurement
    mains_present: bool
    ev_current_a: float
    mains: Reading | None = None

    @property
    def state(self) -> str:
        return self.info["charger_state"]

    @property
    def extended(self) -> str:
        return self.info["extended_charger_state"]

    @property
    def adc_state(self) -> str:
        return self.adc["adc_state"]

    @property
    def pwm_on(self) -> bool:
        """The CP line switches (x2 sub-state): a PWM is present."""
        return pwm_on(self.cp)

    @property
    def advertised_a(self) -> float | None:
        """The current the measured duty advertises (IEC 61851-1, EV side); None: no charging allowed."""
        return advertised_a(self.cp)

    @property
    def current_a(self) -> float:
        """Mains current: the analyzer's when one is in use, else the EV simulator's load reading."""
        if self.mains is not None and self.mains.current_a is not None:
            return self.mains.current_a
        return self.ev_current_a

    @property
    def power_w(self) -> float | None:
        return None if self.mains is None else self.mains.power_w

    @property
    def no_current(self) -> bool:
        """Neither the EV simulator nor the analyzer sees current."""
        return self.ev_current_a < NO_CURRENT_A and self.current_a < NO_CURRENT_A

    @property
    def charging(self) -> bool:
        """Contactor closed and current flowing, seen by the EV and (when used) the analyzer."""
        return self.mains_present and self.ev_current_a > CHARGING_CURRENT_MIN_A \
            and self.current_a > CHARGING_CURRENT_MIN_A

    def trace_sample(self) -> TraceSample:
        return TraceSample(self.time_s, self.state, self.cp.duty_percent, self.current_a, self.power_w)

    def __repr__(self) -> str:
        mains = "" if self.mains is None else f", analyzer I={self.mains.current_a} A P={self.mains.power_w} W"
        return (f"Observation(t={self.time_s:.3f} s, charger {self.state}/{self.extended}, adc {self.adc_state}, "
                f"paused={self.info.get('charger_is_paused')}, errors={self.info.get('has_active_errors')}, "
                f"CP {self.cp.frequency_hz:g} Hz {self.cp.duty_percent:g} % +{self.cp.high_v:g}/{self.cp.low_v:g} V, "
                f"mains {'present' if self.mains_present else 'absent'}, EV I={self.ev_current_a:g} A, "
                f"charger I={self.info.get('current')} A, session_energy={self.info.get('session_energy')} Wh{mains})")


async def observe(charger: ChargerClient, ev: EvSimulator, analyzer: PowerAnalyzer | None = None) -> Observation:
    """Read the three viewpoints: Charger_info.Get and Adc_state.Get, the EV simulator's CP measurement,
    mains presence and load current, and (if given) one analyzer update."""
    time_s = ev.device_time_s()
    info = await charger.call("Charger_info.Get")
    adc = await charger.call("Adc_state.Get")
    cp = ev.measure_cp()
    mains_present = ev.mains_present()
    ev_current = ev.load_current_a()
    mains = read_mains(analyzer) if analyzer is not None else None
    return Observation(time_s, info, adc, cp, mains_present, ev_current, mains)


class SessionTrace:
    """Observations of one test in order, rendered by :func:`reports.plots.session_trace`."""

    def __init__(self, title: str = "Charging session") -> None:
        self.title = title
        self.samples: list[TraceSample] = []
        self.attached = False

    def add(self, observation: Observation) -> Observation:
        self.samples.append(observation.trace_sample())
        return observation

    def png(self) -> bytes:
        return session_trace(self.samples, self.title)

    def attach(self) -> None:
        """Attach the trace to the running test (the ``trace`` fixture does it at teardown otherwise)."""
        if len(self.samples) > 1:
            attach_png("session trace", self.png())
            self.attached = True


async def wait_observed(bench: Bench, charger: ChargerClient, ev: EvSimulator, analyzer: PowerAnalyzer | None,
                        predicate: Callable[[Observation], bool], *, within_s: float, what: str,
                        trace: SessionTrace | None = None) -> Observation:
    """Observe until ``predicate`` holds (within ``within_s`` device s); return that observation."""
    async def probe() -> Observation:
        observation = await observe(charger, ev, analyzer)
        return trace.add(observation) if trace is not None else observation
    return await bench.clock.wait_for(probe, predicate, within_s=within_s, what=what)


async def hold_observed(bench: Bench, charger: ChargerClient, ev: EvSimulator, analyzer: PowerAnalyzer | None,
                        predicate: Callable[[Observation], bool], *, for_s: float, what: str,
                        trace: SessionTrace | None = None, settle_within_s: float | None = None) -> Observation:
    """Check that ``predicate`` holds on every observation for ``for_s`` device s; return the last.

    With ``settle_within_s``, first wait (at most that long) for every viewpoint to show it: the
    analyzer averages over its update period, so a reading may still carry the moments before."""
    async def probe() -> Observation:
        observation = await observe(charger, ev, analyzer)
        return trace.add(observation) if trace is not None else observation
    if settle_within_s is not None:
        await bench.clock.wait_for(probe, predicate, within_s=settle_within_s, what=what)
    return await bench.clock.hold(probe, predicate, for_s=for_s, what=what)


# --- driving the EV ----------------------------------------------------------------------------------
async def charge(bench: Bench, charger: ChargerClient, ev: EvSimulator, analyzer: PowerAnalyzer | None = None,
                 *, load_a: float = DEFAULT_LOAD_A, state: str = "C", authorize: bool = False,
                 trace: SessionTrace | None = None) -> Observation:
    """Plug the EV in (B), optionally ``Charge.Start``, go to ``state`` (C or D) and wait for current.

    Returns the first observation with the contactor closed and current above
    ``CHARGING_CURRENT_MIN_A`` while the charger reports ``state``."""
    ev.set_load_current(load_a)
    ev.set_cp_state("B")
    await wait_observed(bench, charger, ev, analyzer, lambda o: o.state == "B",
                        within_s=limit(bench, "state_report_s").value, what="charger in B after plug-in", trace=trace)
    if authorize:
        assert await charger.call("Charge.Start") is True
    ev.set_cp_state(state)
    return await wait_observed(bench, charger, ev, analyzer, lambda o: o.state == state and o.charging,
                               within_s=charging_deadline_s(bench),
                               what=f"charger in {state} with the contactor closed and current flowing",
                               trace=trace)


async def unplug(bench: Bench, charger: ChargerClient, ev: EvSimulator, analyzer: PowerAnalyzer | None = None,
                 *, trace: SessionTrace | None = None) -> Observation:
    """EV to state A; wait until the charger reports A with the contactor open and no current."""
    ev.set_cp_state("A")
    return await wait_observed(bench, charger, ev, analyzer,
                               lambda o: o.state == "A" and not o.mains_present and o.no_current,
                               within_s=settle_s(bench), what="charger in A, contactor open, no current",
                               trace=trace)


# --- timing on the EV simulator's clock ------------------------------------------------------------------
@dataclass(frozen=True)
class Bracket:
    """An instant known to lie within [earliest, latest] (EV simulator device seconds)."""

    earliest: float
    latest: float

    def since(self, other: Bracket) -> tuple[float, float]:
        """(shortest, longest) time from ``other`` to this instant."""
        return self.earliest - other.latest, self.latest - other.earliest

    def delay_since(self, cause: Bracket) -> tuple[float, float]:
        """:meth:`since` for an effect of ``cause``: an effect cannot precede its cause (shortest ≥ 0)."""
        shortest, longest = self.since(cause)
        return max(0.0, shortest), longest


def stamp(ev: EvSimulator, action: Callable[[], T]) -> tuple[Bracket, T]:
    """Run a bench action and bracket when it happened on the EV simulator's clock."""
    before = ev.device_time_s()
    result = action()
    return Bracket(before, ev.device_time_s()), result


async def astamp(ev: EvSimulator, action: Callable[[], Awaitable[T]]) -> tuple[Bracket, T]:
    """:func:`stamp` for an awaitable action (an RPC call)."""
    before = ev.device_time_s()
    result = await action()
    return Bracket(before, ev.device_time_s()), result


@dataclass(frozen=True)
class Edge:
    """The first reading for which a condition held, and when the change happened (bracketed)."""

    value: Any
    at: Bracket
    polls: int


async def wait_edge(bench: Bench, ev: EvSimulator, probe: Callable[[], T | Awaitable[T]],
                    predicate: Callable[[T], bool], *, since: Bracket, within_s: float, what: str) -> Edge:
    """Poll a reading (an EV-simulator query, or a coroutine function such as an RPC) as fast as the
    link allows until ``predicate`` holds, stamping each read on the EV simulator's clock.

    The change happened after the previous reading was taken (or after ``since`` if the first
    reading already shows it) and before the stamp taken right after the first reading that shows it.
    """
    stamps: list[float] = []

    async def read() -> tuple[float, T]:
        stamps.append(ev.device_time_s())
        value = probe()
        if inspect.isawaitable(value):
            value = await value
        return stamps[-1], value

    _, value = await bench.clock.wait_for(read, lambda sample: predicate(sample[1]), within_s=within_s,
                                          what=what, poll_s=0.0)
    earliest = stamps[-2] if len(stamps) > 1 else since.earliest
    return Edge(value, Bracket(earliest, ev.device_time_s()), len(stamps))


@dataclass(frozen=True)
class ContactorTiming:
    """When the contactor moved after a stimulus, on the EV simulator's clock, two ways.

    ``moved`` brackets the move by polling mains presence.  ``timer_s`` is the EV simulator's own
    contactor timer (device time from ``armed``, the CP state command that armed it, to the move):
    exact when the stimulus itself was that command, otherwise bracketed by when it was armed.
    Delays are taken from ``stimulus`` unless another cause (e.g. a PWM edge) is given.
    """

    what: str
    stimulus: Bracket
    moved: Bracket
    armed: Bracket
    timer_s: float | None
    stimulus_armed: bool
    line: tuple[tuple[Bracket, CpMeasurement], ...] = ()  # with ``watch_line``: the CP line at each poll

    def delays(self, since: Bracket | None = None) -> tuple[tuple[float, float] | None, tuple[float, float]]:
        """(EV simulator timer, polling) delay brackets from ``since`` (default: the stimulus)."""
        polled = self.moved.delay_since(since or self.stimulus)
        if self.timer_s is None:
            return None, polled
        if since is None and self.stimulus_armed:
            return (self.timer_s, self.timer_s), polled
        moved = Bracket(self.armed.earliest + self.timer_s, self.armed.latest + self.timer_s)
        return moved.delay_since(since or self.stimulus), polled

    @property
    def consistent(self) -> bool:
        """The timer's instant lies within what polling bracketed (2 ms for rounding)."""
        if self.timer_s is None:
            return False
        return self.moved.earliest - 0.002 <= self.armed.latest + self.timer_s \
            and self.armed.earliest + self.timer_s <= self.moved.latest + 0.002

    def check(self, limit_: Limit, bound: Literal["max", "min"] = "max", *, since: Bracket | None = None,
              name: str | None = None) -> Measurement:
        """Record the delay against ``limit_`` and assert it.  It fails when the measurement *proves*
        the limit broken: for a maximum the shortest possible delay counts, for a minimum the longest,
        from the EV simulator's timer and from polling alike.  Both brackets go into the record."""
        timer, polled = self.delays(since)
        assert timer is not None, f"{self.what}: the EV simulator timed no contactor change"
        pick = 0 if bound == "max" else 1
        note = (f"EV simulator timer {timer[0] * 1000:.1f}…{timer[1] * 1000:.1f} ms, "
                f"polling {polled[0] * 1000:.1f}…{polled[1] * 1000:.1f} ms")
        measured = check_limit(name or self.what, timer[pick], limit_, bound, note)
        check_limit(f"{name or self.what} (polled)", polled[pick], limit_, bound, note)
        assert self.consistent, (f"{self.what}: the EV simulator's timer ({self.timer_s} s from {self.armed}) "
                                 f"disagrees with polling ({self.moved}): bench fault")
        return measured


async def time_contactor(bench: Bench, ev: EvSimulator, stimulus: Callable[[], object], *, closed_after: bool,
                         within_s: float, what: str, rearm: str | None = None,
                         watch_line: bool = False) -> ContactorTiming:
    """Apply a stimulus, wait until the mains is ``closed_after``, and time the move two ways.

    A CP state command arms the EV simulator's contactor timer itself.  Any other stimulus (a diode
    short, PE open, an RPC such as ``Charge.Pause``; it may be a coroutine function) needs ``rearm``:
    the CP state the EV is already in, commanded again just before to arm the timer without moving the
    line.  ``within_s`` is how long to wait for the move: make it longer than the limit, so that a late
    move is still measured and reported with its margin rather than as a timeout."""
    armed = stamp(ev, lambda: ev.set_cp_state(rearm))[0] if rearm is not None else None
    before = ev.device_time_s()
    result = stimulus()
    if inspect.isawaitable(result):
        await result
    applied = Bracket(before, ev.device_time_s())
    line: list[tuple[Bracket, CpMeasurement]] = []

    def mains() -> bool:
        """Mains presence, and with ``watch_line`` the CP line too (bracketed), at every poll."""
        if watch_line:
            read_before = ev.device_time_s()
            cp = ev.measure_cp()
            line.append((Bracket(read_before, ev.device_time_s()), cp))
        return ev.mains_present()

    edge = await wait_edge(bench, ev, mains, lambda present: present == closed_after, since=applied,
                           within_s=within_s, what=f"mains {'present' if closed_after else 'absent'} ({what})")
    delay_ms = ev.contactor_delay_ms()
    return ContactorTiming(what, applied, edge.at, armed or applied,
                           None if delay_ms is None else delay_ms / 1000.0, stimulus_armed=armed is None,
                           line=tuple(line))


# --- fixtures ----------------------------------------------------------------------------------------
__all__ = [
    "ANALYZER_ITEMS", "ANALYZER_UPDATE_S", "CHARGING_CURRENT_MIN_A", "DEFAULT_LOAD_A", "NO_CURRENT_A",
    "Bracket", "ContactorTiming", "Edge", "Observation", "SessionTrace",
    "advertised_a", "app_config_set", "astamp", "call_if_reachable", "charge", "charging_deadline_s", "check_limit", "hold_observed",
    "label_ambiguity", "limit", "observe", "pwm_on", "read_mains", "settle_s", "stamp", "time_contactor", "unplug",
    "wait_edge", "wait_observed",
]
