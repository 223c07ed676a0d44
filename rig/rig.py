"""The rig: the one object a bench test receives (labgrid's target, with its strategy).

It holds the charger's RPC client, the EV side (:class:`rig.ev.EvSide`: the roles bound to the
bench's instruments), the power analyzer and the bench clock, and gives the suites what they do
with them: ``observe``, ``wait``, ``hold``, ``charge``, ``unplug``, ``force_safe``, and timing that
real instruments can measure (``stamp``, ``edge``, ``time_contactor``, ``judge``).  A limit is read
one way: ``rig.limit(name)``, a :class:`fixtures.profile.Limit` with its value, unit and origin.

Every wait polls against a deadline in device seconds; nothing sleeps a fixed time.  A timing the
bench cannot resolve is inconclusive (:class:`rig.measurement.Inconclusive`): :meth:`judge` records
it and lets the test go on, and the test ends "inconclusive" if nothing else failed.
"""
from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from fixtures.bench import Bench
from fixtures.clock import WaitTimeout
from fixtures.profile import Limit
from instruments.charger_rpc import ChargerClient, ChargerUnreachable, DeviceError, MalformedReply
from instruments.charger_rpc.values import ocpp_spelling
from instruments.errors import BenchFault
from instruments.power_analyzer.scpi import InvalidReading
from instruments.power_analyzer.wt300 import PowerAnalyzer
from reports.allure_support import ambiguity, record_marginal
from reports.plots import TraceSample, attach_plot, session_trace
from rig.calendar import ReferenceClock, reference_for
from rig.ev import EvSide, RoleMissing
from rig.site import Site
from rig.measurement import Inconclusive, Measurement
from rig.observe import Observation, read_mains
from rig.thresholds import ANALYZER_ITEMS, ANALYZER_UPDATE_S, DEFAULT_LOAD_A, NO_CURRENT_A
from rig.timing import ContactorTiming, Edge, Instant, Span, Timing, judge

T = TypeVar("T")
KEY_FORMAT = -5  # spec chapter 3
INSTRUMENT_READY_WALL_S = 2.0  # the least wall time a bench precondition (an instrument, the safe state) is given


class BenchNotReady(BenchFault):
    """A precondition of the bench (an instrument's first valid reading, the safe state) not met in time."""
RANGE_HEADROOM = 1.25  # the analyzer's range covers the expected current with this margin (crest factor 3)


@dataclass
class RigState:
    """What the rig learns once per run (kept in ``config.stash``, never in a module global)."""

    native_config_value: bool | None = None   # does App_config.Set take native JSON values?
    analyzer_ready: bool = False
    analyzer_range_for_a: float | None = None  # the expected current the analyzer's range was set for
    reference: ReferenceClock | None = None    # the schedule's reference "now" (rig.calendar), anchored once


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
        if len(self.samples) > 1 and not self.attached:
            attach_plot("session trace", self.png)
            self.attached = True


@dataclass
class Rig:
    bench: Bench
    charger: ChargerClient
    ev: EvSide
    analyzer: PowerAnalyzer | None
    state: RigState
    trace: SessionTrace | None = None
    inconclusive: list[str] = field(default_factory=list)
    site: Site | None = None   # the supply, contactor fault relays and heater (rig.site); None: none bound

    def __post_init__(self) -> None:
        self.clock = self.bench.clock
        self.timing = Timing(self.clock)

    # --- the profile ---------------------------------------------------------------------------
    def limit(self, name: str) -> Limit:
        """The profile's limit ``name`` with its value, unit and origin (benches/default-limits.toml)."""
        return self.bench.profile.limit(name)

    @property
    def charging_deadline_s(self) -> float:
        """From state C to current flowing: the contactor closes, then the EV follows the PWM (§4),
        plus one CP reading when the load follows the PWM through the rig."""
        follow = 0.0 if self.ev.follows_pwm else self._cp_resolution_device_s()
        return self.limit("contactor_close_s").value + self.limit("ev_follow_s").value + follow

    @property
    def settle_s(self) -> float:
        """From a contactor change to the analyzer showing it (two update periods) plus the state report."""
        return self.limit("state_report_s").value + 2 * ANALYZER_UPDATE_S + self._cp_resolution_device_s()

    @property
    def cp_lag_s(self) -> float:
        """How long the CP measurement may take to show a change (device s): two readings' windows on a
        once-a-second board, nothing for an on-demand scope."""
        return self._cp_resolution_device_s()

    def _cp_resolution_device_s(self) -> float:
        """Two CP readings' windows in device s (a once-a-second board needs them to show a change)."""
        if not self.ev.has("cp_measurement"):
            return 0.0
        resolution = self.ev.cp_resolution_s
        return 0.0 if resolution < 0.01 else 2 * resolution * self.clock.time_scale

    @property
    def reference(self) -> ReferenceClock:
        """The reference "now" the profile's ``[clock]`` declares (rig.calendar), anchored once per run."""
        if self.state.reference is None:
            self.state.reference = reference_for(self.bench)
        return self.state.reference

    # --- verdicts ------------------------------------------------------------------------------
    def check_limit(self, name: str, value: float, limit: Limit, bound: Literal["max", "min"] = "max",
                    note: str = "") -> Measurement:
        """``value`` (exact, no uncertainty) against a profile limit, recorded with origin and margin."""
        __tracebackhide__ = True
        return judge(name, Span(value, value, note), limit, bound)

    def judge(self, name: str, span: Span, limit: Limit, bound: Literal["max", "min"] = "max",
              note: str = "") -> Measurement | None:
        """A timing span against a limit: fail at once when certainly beyond; when the bench cannot
        resolve it, note it and go on (the test ends inconclusive unless something else fails)."""
        __tracebackhide__ = True
        try:
            measured = judge(name, span, limit, bound, note)
        except Inconclusive as unresolved:
            self.inconclusive.append(unresolved.reason)
            return None
        marginal_result(name, span, limit, bound)
        return measured

    @property
    def sites(self) -> Site:
        """The site roles (supply, contactor fault relays, heater); RoleMissing when the rig has none."""
        if self.site is None:
            raise RoleMissing("bench lacks the site roles (ac_source, fault_injection, thermal): none bound")
        return self.site

    def check_contactor(self, timing: ContactorTiming, limit: Limit, bound: Literal["max", "min"] = "max", *,
                        since: Instant | None = None, name: str | None = None) -> Measurement | None:
        """:meth:`ContactorTiming.check` with an unresolved result noted rather than ending the test."""
        __tracebackhide__ = True
        try:
            return timing.check(limit, bound, since=since, name=name)
        except Inconclusive as unresolved:
            self.inconclusive.append(unresolved.reason)
            return None

    @staticmethod
    def label_ambiguity(id_: str, reading: str) -> None:
        """Label the test with a spec ambiguity (reference/spec/ambiguities.py) and the reading chosen."""
        ambiguity(id_, reading)

    # --- the charger ---------------------------------------------------------------------------
    async def call_if_reachable(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """``charger.call``, or None while the charger does not answer (rebooting).  A DeviceError is
        still raised: the charger answered."""
        try:
            return await self.charger.call(method, params)
        except (ChargerUnreachable, MalformedReply):
            return None

    async def app_config_set(self, key: str, value: Any) -> Any:
        """App_config.Set as a bench *precondition*, in the form this charger takes (ambiguity
        config_value_type, judged by the API suites): the native JSON value or, when the charger answers
        -5 key format to it, the 'OCPP style' string the spec types config_value as.  Learned once."""
        spelled = ocpp_spelling(value)
        if self.state.native_config_value is False:
            return await self.charger.call("App_config.Set", {"config_key": key, "config_value": spelled})
        try:
            answer = await self.charger.call("App_config.Set", {"config_key": key, "config_value": value})
        except DeviceError as error:
            if error.code != KEY_FORMAT or self.state.native_config_value or spelled == value:
                raise
            answer = await self.charger.call("App_config.Set", {"config_key": key, "config_value": spelled})
            self.state.native_config_value = False
            return answer
        if self.state.native_config_value is None and spelled != value:
            self.state.native_config_value = True
        return answer

    # --- the analyzer --------------------------------------------------------------------------
    async def prepare_analyzer(self) -> None:
        """Items ``ANALYZER_ITEMS`` every ``ANALYZER_UPDATE_S``, once per run; then a valid reading."""
        if self.analyzer is None or self.state.analyzer_ready:
            return
        self.analyzer.configure_items(ANALYZER_ITEMS)
        self.analyzer.update_rate_s = ANALYZER_UPDATE_S
        await self._analyzer_valid("the analyzer's first valid reading after its setup")
        self.state.analyzer_ready = True

    async def range_for(self, expected_a: float) -> None:
        """Set the analyzer's current range for the current the test expects (WT300E: a range per
        measurement, not auto-ranging that drops data while it switches)."""
        analyzer = self.analyzer
        setter = getattr(analyzer, "set_current_range_for", None)
        expected = max(float(expected_a), 1.0) * RANGE_HEADROOM
        if analyzer is None or setter is None or self.state.analyzer_range_for_a == expected:
            return
        setter(expected)
        self.state.analyzer_range_for_a = expected
        await self._analyzer_valid(f"a valid analyzer reading after ranging for {expected:g} A")

    async def _analyzer_valid(self, what: str) -> None:
        analyzer = self.analyzer
        assert analyzer is not None

        def voltage_valid() -> bool:
            try:
                analyzer.read_item("U")
            except InvalidReading:
                return False
            return True

        # An instrument's readiness is no verdict on the charger: its budget is the instrument's own (four
        # update periods and a second, at least a wall second on a fast virtual bench), and running out of
        # it is a bench fault.
        budget = max(4 * ANALYZER_UPDATE_S + 1.0, self.clock.time_scale * INSTRUMENT_READY_WALL_S)
        try:
            await self.clock.wait_for_sync(voltage_valid, bool, within_s=budget, what=what)
        except WaitTimeout as timeout:
            raise BenchNotReady(f"power analyzer: {timeout}") from None

    # --- observing -----------------------------------------------------------------------------
    async def observe(self) -> Observation:
        """Charger_info.Get and Adc_state.Get, the EV side's CP line, mains presence and load current,
        and one analyzer update, stamped on the bench clock."""
        time_s = self.clock.now()
        info = await self.charger.call("Charger_info.Get")
        adc = await self.charger.call("Adc_state.Get")
        cp = self.ev.measure_cp()
        mains_present = self.ev.mains_present()
        ev_current = self.ev.load_current_a()
        mains = read_mains(self.analyzer) if self.analyzer is not None else None
        observation = Observation(time_s, info, adc, cp, mains_present, ev_current, mains)
        return self.trace.add(observation) if self.trace is not None else observation

    async def wait(self, predicate: Callable[[Observation], bool], *, within_s: float, what: str) -> Observation:
        """Observe until ``predicate`` holds (within ``within_s`` device s); return that observation."""
        return await self.clock.wait_for(self.observe, predicate, within_s=within_s, what=what)

    async def hold(self, predicate: Callable[[Observation], bool], *, for_s: float, what: str,
                   settle_within_s: float | None = None, poll_s: float | None = None) -> Observation:
        """Check that ``predicate`` holds on every observation for ``for_s`` device s; return the last.

        With ``settle_within_s``, first wait (at most that long) for every viewpoint to show it: the
        analyzer averages over its update period, so a reading may still carry the moments before.
        ``poll_s`` (device s) spaces the observations of a long hold, so a real charger is not flooded."""
        if settle_within_s is not None:
            await self.clock.wait_for(self.observe, predicate, within_s=settle_within_s, what=what)
        return await self.clock.hold(self.observe, predicate, for_s=for_s, what=what, poll_s=poll_s)

    # --- driving the EV (the strategy's states) ------------------------------------------------
    async def charge(self, *, load_a: float = DEFAULT_LOAD_A, state: str = "C", authorize: bool = False) -> Observation:
        """Plug the EV in (B), optionally ``Charge.Start``, go to ``state`` (C or D), wait for current.

        Returns the first observation with the contactor closed and current flowing while the charger
        reports ``state``."""
        await self.range_for(load_a)
        self.ev.set_load_current(load_a)
        self.ev.set_state("B")
        await self.wait(lambda o: o.state == "B", within_s=self.limit("state_report_s").value + self._cp_resolution_device_s(),
                        what="charger in B after plug-in")
        if authorize:
            assert await self.charger.call("Charge.Start") is True
        self.ev.set_state(state)
        return await self.wait(lambda o: o.state == state and o.charging, within_s=self.charging_deadline_s,
                               what=f"charger in {state} with the contactor closed and current flowing")

    async def unplug(self) -> Observation:
        """EV to state A; wait until the charger reports A with the contactor open and no current."""
        self.ev.set_state("A")
        return await self.wait(lambda o: o.state == "A" and not o.mains_present and o.no_current,
                               within_s=self.settle_s, what="charger in A, contactor open, no current")

    async def device_reset(self) -> dict[str, Any]:
        """Device.Reset (6.7; the EV unplugged, or a test that wants the reboot with it plugged in); wait
        for the charger to go down and to answer again (reboot_max_s each); return its first Charger_info.Get."""
        assert await self.charger.call("Device.Reset") is True, "Device.Reset did not answer true"
        reboot = self.limit("reboot_max_s").value

        def info() -> Awaitable[dict[str, Any] | None]:
            return self.call_if_reachable("Charger_info.Get")

        await self.clock.wait_for(info, lambda reply: reply is None, within_s=reboot,
                                  what="the charger going down for Device.Reset")
        return await self.clock.wait_for(info, lambda reply: reply is not None, within_s=reboot,
                                         what="the charger answering again after Device.Reset")

    async def force_safe(self) -> None:
        """The strategy's "off": every EV-side role safe, the charger back in A with no current, its
        logged errors reset.  Run before and after every bench test, whatever happened.

        The site goes first (supply back on, no contactor fault, heater off): a test that failed while
        the charger was unpowered leaves it booting, so it is given ``reboot_max_s`` to answer again."""
        if self.site is not None:
            self.site.safe()
            if self.site.has("ac_source"):
                try:
                    await self.clock.wait_for(lambda: self.call_if_reachable("Charger_info.Get"),
                                              lambda info: info is not None, within_s=self.limit("reboot_max_s").value,
                                              what="charger answering with its supply back on")
                except WaitTimeout as timeout:
                    raise BenchNotReady(f"bench not safe: {timeout}") from None
        self.ev.safe()
        try:
            await self.clock.wait_for(lambda: self.charger.call("Charger_info.Get"),
                                      lambda info: info["charger_state"] == "A" and info["current"] < NO_CURRENT_A,
                                      within_s=max(self.limit("state_report_s").value + self._cp_resolution_device_s(),
                                                   self.clock.time_scale * INSTRUMENT_READY_WALL_S),
                                      what="charger back in state A with no current")
        except WaitTimeout as timeout:
            # Setting up or tearing down: the bench could not be made safe.  Whether the charger reports
            # an unplug in time is judged by the state suites, not here.
            raise BenchNotReady(f"bench not safe: {timeout}") from None
        await self.charger.call("Logged_errors.Reset")

    # --- timing --------------------------------------------------------------------------------
    def _widened(self, at: Instant) -> Instant:
        """A stimulus may still be taking effect for the CP board's command latency after it returned."""
        latency = self.ev.command_latency_s * self.clock.time_scale if self.ev.has("cp_control") else 0.0
        return at if not latency else Instant(at.earliest, at.latest + latency)

    def stamp(self, action: Callable[[], T]) -> tuple[Instant, T]:
        """Run a bench action and bracket when it took effect (bench clock)."""
        at, result = self.timing.stamp(action)
        return self._widened(at), result

    async def astamp(self, action: Callable[[], Awaitable[T] | T]) -> tuple[Instant, T]:
        at, result = await self.timing.astamp(action)
        return self._widened(at), result

    async def edge(self, probe: Callable[[], Any], predicate: Callable[[Any], bool], *, since: Instant,
                   within_s: float, what: str) -> Edge:
        """Poll a reading until ``predicate`` holds, bracketing when it changed (see :class:`Timing`)."""
        return await self.timing.edge(probe, predicate, since=since, within_s=within_s, what=what)

    async def cp_edge(self, predicate: Callable[[Any], bool], *, since: Instant, within_s: float,
                      what: str) -> Edge:
        """Poll the CP measurement until ``predicate(cp)`` holds; each reading placed by its own window
        (a query's bracket, or a once-a-second board's frame).  ``edge.value`` is the CpMeasurement."""
        sample_edge = await self.timing.edge(self.ev.sample_cp, lambda s: predicate(s.cp), since=since,
                                             within_s=within_s + self._cp_resolution_device_s(), what=what,
                                             window=self.timing.window)
        return Edge(sample_edge.value.cp, sample_edge.at, sample_edge.polls, sample_edge.round_trip_s,
                    sample_edge.gap_s)

    async def time_contactor(self, stimulus: Callable[[], object], *, closed_after: bool, within_s: float,
                             what: str, rearm: str | None = None, watch_line: bool = False) -> ContactorTiming:
        """Apply a stimulus, wait until mains presence is ``closed_after``, and time the move: by polling
        mains sense, and by the ``contactor`` timer when the profile declares one.

        A CP state command arms that timer itself; any other stimulus (a diode short, an RPC such as
        ``Charge.Pause``; it may be a coroutine function) needs ``rearm``: the CP state the EV is already
        in, commanded again just before, to arm it without moving the line.  ``within_s`` is how long to
        wait for the move: longer than the limit, so a late move is measured with its margin rather
        than timed out."""
        has_timer = self.ev.has("timer.contactor")
        armed = self.stamp(lambda: self.ev.set_state(rearm))[0] if (rearm is not None and has_timer) else None
        applied, _ = await self.astamp(stimulus)  # type: ignore[arg-type]
        line: list[tuple[Instant, Any]] = []

        def mains() -> bool:
            """Mains presence, and with ``watch_line`` the CP line too (bracketed), at every poll."""
            if watch_line:
                at, sample = self.stamp(self.ev.sample_cp)
                line.append((self.timing.window(sample) if self.ev.cp_resolution_s >= 0.01 else at, sample.cp))
            return self.ev.mains_present()

        edge = await self.timing.edge(mains, lambda present: present == closed_after, since=applied,
                                      within_s=within_s, what=f"mains {'present' if closed_after else 'absent'} ({what})")
        delay_ms = self.ev.contactor_delay_ms() if has_timer else None
        return ContactorTiming(what, applied, edge, armed or applied,
                               None if delay_ms is None else delay_ms / 1000.0,
                               stimulus_armed=armed is None, line=tuple(line))


class MarginalResult(UserWarning):
    """A timing within its limit but beyond the product reference inside it (Limit.marginal)."""


def marginal_result(name: str, span: Span, limit: Limit, bound: Literal["max", "min"]) -> None:
    """Report a pass beyond the limit's product reference as marginal: in the report (a parameter) and
    as a pytest warning, so a unit that only just meets the standard's ceiling is seen."""
    if limit.marginal is None or bound != "max" or span.value <= limit.marginal:
        return
    text = (f"{name} = {span.value:.4g} {limit.unit}: within {limit.value:g} {limit.unit} ({limit.origin}) but beyond "
            f"the product reference {limit.marginal:g} {limit.unit} ({limit.marginal_origin})")
    record_marginal(name, text)
    warnings.warn(MarginalResult(text), stacklevel=3)
