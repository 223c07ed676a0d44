"""Bad input at volume (``-m fuzz``): the exact code for every bad request, the charger still answering
with its configuration as found, and no heap leak over the run (spec chapters 1, 3 and 6.5).

Each input class of :mod:`suites.api.fuzz_strategies` (wrong JSON types, out-of-range values, unknown and
misspelt keys, missing and extra params, malformed frames, oversized bodies, deep nesting, bytes that are
not UTF-8, duplicated names, huge ids) is one test, with its share of ``--fuzz-budget`` inputs drawn by
hypothesis (seeded from ``--fuzz-seed``).  Every input is judged twice:

* **the answer**: an error frame with a code the spec allows for it (chapter 3, or a reading of an
  ambiguity: the reading is labelled), a result only where one is allowed, the id echoed exactly;
  an answer that is no RPC reply (HTTP 500, not JSON, no answer) is sent again after a getter was
  answered, and is the charger's fault only when it repeats (a one-off is the network's: a bench fault
  if the charger then stops answering);
* **the configuration**: after every input the domains it could change (:attr:`FuzzInput.domains`: the
  guard's own rule, ``fixtures.snapshot.domains_changed_by``, on the method a lenient parser could find
  in it) are read back and compared, equal in meaning, with the configuration the test started from
  (the guard's ``known``).  A change is put back at once, so the next input, and hypothesis's shrinking,
  start from the same configuration; the guard still compares and restores at the end of the test.

A failing input is shrunk by hypothesis and printed as a replayable request (method, path, the exact
body bytes, a curl line; secrets masked: :mod:`suites.api.fuzz_replay`).  While the inputs run, no
exchange is attached to Allure one by one (10 000 of them would swamp the report): each test attaches its
tally of answers instead, and a failure carries its replay.

The heap watch samples ``heap_free`` every few inputs across all classes; the last test fits the trend
(fixtures.fuzzing: a least-squares slope with its standard error, and a minimum fitted drop) and attaches
its plot (reports.heap_plot).
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import allure
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis.errors import FlakyFailure

from fixtures.bench import Bench
from fixtures.fuzzing import MIN_SAMPLES, ClassRun, FuzzBudget, FuzzRecord, HeapWatch, heap_line
from fixtures.snapshot import (
    ABSENT,
    EVERYTHING,
    ChargerSnapshot,
    Domain,
    equal_in_meaning,
    restore_domains,
    same_value,
    take_snapshot,
)
from instruments.charger_rpc import BenchFault, ChargerClient, ChargerUnreachable, RawReply
from instruments.charger_rpc.tally import counted_as
from reports.allure_support import ambiguity, attach_exchange, cover
from reports.heap_plot import heap_plot
from reports.plots import attach_plot
from suites.api.fuzz_replay import Credentials, replay, short
from suites.api.fuzz_strategies import CLASSES, NO_ID, WEIGHTS, Baseline, FuzzInput, InputClass, Label, framing_codes
from suites.api.support import ConfigValueForm
from suites.api.test_framing import error_object_problem

pytestmark = [pytest.mark.api, pytest.mark.fuzz]

SECRET_NAMES = ("pin", "ap_password", "username", "password")
PROBE = "Device_id.Get"   # the getter that shows the charger still answers


class FuzzFinding(AssertionError):
    """A bad input the charger answered wrongly, or that changed its configuration (a product verdict)."""


@dataclass(frozen=True)
class Access:
    """What a replay and the strategies need of the bench's credentials: the secrets (kept out of every
    input, masked in every replay) and how a replay authenticates (the profile's environment variable
    names, never their values)."""

    secrets: tuple[str, ...] = field(repr=False)
    credentials: Credentials | None

    def __repr__(self) -> str:  # a failing test's arguments are printed
        return f"<Access: {len(self.secrets)} secrets masked, credentials {self.credentials!r}>"


@pytest.fixture(scope="module")
def access(bench: Bench) -> Access:
    secrets = tuple(s for s in (bench.profile.secret("charger", name) for name in SECRET_NAMES) if s)
    credentials = None
    if bench.profile.secret("charger", "username"):
        table = bench.profile.section("charger")
        credentials = Credentials(str(bench.setting("charger", "auth", "digest")), table.get("username_env"),
                                  table.get("password_env"))
    return Access(secrets, credentials)


@contextlib.contextmanager
def exchanges_not_attached(client: ChargerClient) -> Iterator[None]:
    """The client's exchanges not attached to Allure one by one while the inputs run."""
    removed = [listener for listener in client.listeners if listener is attach_exchange]
    for listener in removed:
        client.listeners.remove(listener)
    try:
        yield
    finally:
        client.listeners.extend(removed)


def _is_frame(reply: RawReply | ChargerUnreachable) -> bool:
    return isinstance(reply, RawReply) and reply.status == 200 and isinstance(reply.json, dict)


def _seen(reply: RawReply | ChargerUnreachable) -> str:
    if isinstance(reply, ChargerUnreachable):
        return f"no reply ({reply.reason if hasattr(reply, 'reason') else reply})"
    return f"HTTP {reply.status} {short(reply.json if reply.json is not None else reply.text, 120)}"


@dataclass
class FuzzRun:
    """One input class's run: sends each input, judges the answer and the configuration, keeps the tally."""

    client: ChargerClient
    found: ChargerSnapshot          # the configuration the test started from (every domain)
    heap: HeapWatch
    tally: ClassRun
    secrets: tuple[str, ...] = field(default=(), repr=False)
    credentials: Credentials | None = None
    labels: set[Label] = field(default_factory=set)
    fault: BaseException | None = None
    stop: bool = False

    # --- one input ----------------------------------------------------------------------------------
    async def check(self, case: FuzzInput) -> None:
        if self.stop:
            return
        problem = await self._answer_problem(case)
        changed = await self._configuration_change(case)
        self.tally.inputs += 1
        await self.heap.after_input(self.client)
        if problem or changed:
            what = "; ".join(p for p in (problem, changed and f"the configuration changed: {changed}") if p)
            raise FuzzFinding(f"{case.kind}: {case.about}: {what}\n"
                              f"allowed: {case.expected.describe()}\n{self.replay(case)}")

    def replay(self, case: FuzzInput) -> str:
        return replay(case.http_method, case.path, case.body, self.client.base_url, secrets=self.secrets,
                      credentials=self.credentials)

    async def _send(self, case: FuzzInput) -> RawReply | ChargerUnreachable:
        try:
            return await self.client.send_raw(case.body, path=case.path, http_method=case.http_method,
                                              label=f"fuzz {case.kind}")
        except ChargerUnreachable as fault:
            return fault

    async def _probe(self) -> None:
        """The charger answers a getter (a bench fault, raised, if it does not)."""
        with counted_as("fuzz probe"):
            await self.client.call(PROBE)

    async def _answer_problem(self, case: FuzzInput) -> str | None:
        """What is wrong with the charger's answer to ``case`` (None: an answer the spec allows).  An answer
        that is no RPC frame is the charger's only if it repeats while a getter is answered in between."""
        first = await self._send(case)
        reply = first
        if not _is_frame(first):
            refused = isinstance(first, ChargerUnreachable) or first.status == 413
            await self._probe()
            if case.expected.transport_refusal and refused:
                self._count("transport refusal")
                return None
            reply = await self._send(case)
            if not _is_frame(reply):
                return (f"answered with {_seen(first)}, and again with {_seen(reply)}, while it answered {PROBE} "
                        f"in between: no RPC reply (a frame in HTTP 200: reference/standards.md T40)")
        return self._judge(case, reply.json)  # type: ignore[union-attr]

    def _judge(self, case: FuzzInput, frame: dict[str, Any]) -> str | None:
        expected = case.expected
        if ("result" in frame) == ("error" in frame):
            carries = "both result and error" if "result" in frame else "neither result nor error"
            return f"the reply carries {carries}: {short(frame, 200)}"
        code = None
        if "error" in frame:
            problem = error_object_problem(frame["error"])
            if problem:
                return problem
            code = frame["error"]["code"]
            if code not in expected.codes:
                return f"answered error {code} ({short(frame['error'].get('message'), 80)})"
            chosen = expected.codes[code]
            self._count(f"error {code}")
        else:
            result = frame["result"]
            if expected.result == "none":
                return f"accepted what it must refuse, answering result {short(result, 120)}"
            if expected.result == "true" and result is not True:
                return f"answered result {short(result, 120)}, not true"
            if expected.result == "object" and not isinstance(result, dict):
                return f"answered result {short(result, 120)}, not an object"
            chosen = expected.result_label
            self._count("result")
        id_problem = self._id_problem(case, frame, code)
        if id_problem:
            return id_problem
        if chosen is not None:
            self.labels.add(chosen)
        return None

    @staticmethod
    def _id_problem(case: FuzzInput, frame: dict[str, Any], code: int | None) -> str | None:
        """The reply echoes the id exactly (JSON-RPC 2.0 §5); null only when the frame could not be read."""
        if case.sent_id is NO_ID:
            return None
        echoed = frame.get("id", ABSENT)
        if echoed is ABSENT or echoed is None:
            if code is not None and code in framing_codes():
                return None
            return f"reply id {echoed!r}, sent {short(case.sent_id)}"
        if echoed != case.sent_id or type(echoed) is not type(case.sent_id):
            return (f"reply id {short(echoed)} ({type(echoed).__name__}), sent {short(case.sent_id)} "
                    f"({type(case.sent_id).__name__}): not echoed exactly")
        return None

    def _count(self, answer: str) -> None:
        self.tally.answers[answer] = self.tally.answers.get(answer, 0) + 1

    # --- the configuration ----------------------------------------------------------------------------
    async def _configuration_change(self, case: FuzzInput) -> str | None:
        """What the input changed in its domains (read back now), put back at once; None if nothing."""
        if not case.domains:
            return None
        now = await take_snapshot(self.client, case.domains)
        found = self.found
        changes: list[str] = []
        if Domain.APP_CONFIG in case.domains:
            for key in dict.fromkeys([*found.app_config, *now.app_config]):
                was, got = found.app_config.get(key, ABSENT), now.app_config.get(key, ABSENT)
                if not equal_in_meaning(key, was, got):
                    changes.append(f"{key} {short(was)} -> {short(got)}")
        if Domain.DYNAMIC_CURRENT in case.domains and not same_value(found.dynamic_current, now.dynamic_current):
            changes.append(f"dynamic_current {found.dynamic_current!r} -> {now.dynamic_current!r}")
        if Domain.SCHEDULE in case.domains and not same_value(found.schedule, now.schedule):
            changes.append(f"charging_schedule {short(found.schedule)} -> {short(now.schedule)}")
        if not changes:
            return None
        with counted_as("fuzz restore"):
            outcome = await restore_domains(self.client, found, now)
        kept = [r.describe() for r in outcome.refused]
        return ", ".join(changes) + (f" (and could not be put back: {'; '.join(kept)})" if kept else "")

    # --- hypothesis, on a worker thread ---------------------------------------------------------------
    async def explore(self, strategy: Any, count: int, seed_value: int) -> None:
        """``count`` inputs from ``strategy`` through :meth:`check`.

        Hypothesis runs the examples synchronously, so it runs on a worker thread and hands each input to
        this event loop (where the charger's client lives), waiting for its verdict: its settings, the
        budget and the seed, are then plain runtime values.  A bench fault stops the run without shrinking
        (the input is not to blame for the network) and is raised once hypothesis is done."""
        loop = asyncio.get_running_loop()
        example_timeout_s = 30 * self.client.timeout_s + 10

        def one(case: FuzzInput) -> None:
            if self.stop:
                return
            future = asyncio.run_coroutine_threadsafe(self.check(case), loop)
            try:
                future.result(timeout=example_timeout_s)
            except concurrent.futures.TimeoutError:
                future.cancel()
                self.fault, self.stop = BenchFault(f"one fuzz input took over {example_timeout_s:g} s: "
                                                   f"{case.about}"), True
            except BenchFault as fault:
                self.fault, self.stop = fault, True

        test = settings(max_examples=count, deadline=None, database=None, derandomize=False, print_blob=False,
                        report_multiple_bugs=False, suppress_health_check=list(HealthCheck))(
            seed(seed_value)(given(case=strategy)(one)))
        try:
            await asyncio.to_thread(test)
        except FlakyFailure as flaky:  # failed, then passed on a retry: the failure is still the verdict
            if self.fault is not None:
                raise self.fault from flaky
            first = next((e for e in flaky.exceptions if isinstance(e, AssertionError)), None)
            if first is None:
                raise
            first.add_note("(hypothesis: this input did not fail on every retry)")
            raise first from flaky
        except BaseException:
            if self.fault is not None:
                raise self.fault from None
            raise
        finally:
            self.stop = True
        if self.fault is not None:
            raise self.fault


async def _found(charger: ChargerClient, known: ChargerSnapshot) -> ChargerSnapshot:
    """The configuration the test starts from, every domain (the guard's, completed if it lacks one)."""
    missing = EVERYTHING - known.domains
    return known.merged(await take_snapshot(charger, frozenset(missing))) if missing else known


@pytest.mark.parametrize("input_class", CLASSES, ids=lambda c: c.name)
async def test_3_fuzz_input_gets_the_exact_code_and_leaves_the_configuration(
        input_class: InputClass, charger: ChargerClient, known_config: ChargerSnapshot,
        config_value_form: ConfigValueForm, access: Access, fuzz_budget: FuzzBudget, heap_watch: HeapWatch,
        fuzz_record: FuzzRecord) -> None:
    cover(input_class.section)
    allure.dynamic.description(input_class.doc)
    found = await _found(charger, known_config)
    baseline = Baseline(found.app_config, found.dynamic_current, found.schedule, config_value_form.native,
                        access.secrets)
    tally = fuzz_record.run(input_class.name)
    run = FuzzRun(charger, found, heap_watch, tally, access.secrets, access.credentials)
    count = fuzz_budget.split(WEIGHTS)[input_class.name]
    seed_value = fuzz_budget.seed_for(input_class.name)
    started = time.monotonic()
    try:
        with exchanges_not_attached(charger):
            await run.explore(input_class.strategy(baseline), count, seed_value)
    finally:
        tally.seconds += time.monotonic() - started
        allure.attach(json.dumps({"class": input_class.name, "budget": count, "inputs": tally.inputs,
                                  "seed": seed_value, "replay": f"--fuzz-seed {fuzz_budget.seed} "
                                                                f"--fuzz-budget {fuzz_budget.total}",
                                  "answers": dict(Counter(tally.answers).most_common())}, indent=1),
                      name=f"fuzz {input_class.name}: {tally.inputs} inputs",
                      attachment_type=allure.attachment_type.JSON)
        for chosen in sorted(run.labels):
            ambiguity(*chosen)
    assert tally.inputs, f"no {input_class.name} input was sent (hypothesis drew none)"


async def test_6_5_heap_free_shows_no_leak_over_the_fuzz_run(charger: ChargerClient, heap_watch: HeapWatch,
                                                             fuzz_record: FuzzRecord) -> None:
    """heap_free (6.5 'Heap free space') sampled over every fuzz input of the run must show no significant
    downward trend (the rule: fixtures.fuzzing)."""
    cover("6.5 Charger_info.Get")
    if heap_watch.inputs == 0:
        pytest.skip("no fuzz input ran in this session (the input-class tests were deselected): "
                    "no heap trend to judge")
    await heap_watch.sample(charger)
    trend = heap_watch.trend()
    fuzz_record.heap = trend
    samples = heap_watch.samples
    attach_plot("heap_free over the fuzz run", lambda: heap_plot(samples, trend))
    allure.attach(json.dumps({"trend": trend.describe(), "samples": heap_line(samples)}, indent=1),
                  name="heap_free samples", attachment_type=allure.attachment_type.JSON)
    if len(samples) < MIN_SAMPLES:
        pytest.skip(f"{len(samples)} heap samples, fewer than {MIN_SAMPLES}: raise --fuzz-budget to judge a trend")
    assert not trend.leaking, f"heap_free leaks over the fuzz run: {trend.describe()}"
