"""A charger that misbehaves mid-run is classified within its timeout and never hangs the run.

Each case runs a small suite selection in a pytest subprocess (under a hard timeout) against a virtual
charger started with ``--misbehave`` (simulator/misbehaviour.py), and checks each red test's verdict
class and one-line message, the exit code, whether the run went on or stopped cleanly, the line that
says why, and the run's wall time.  The bench profile is benches/virtual.toml with a 2 s client timeout
and ``reboot_max_s`` of 40 device s (2 s wall at time scale 20), so a verdict comes in seconds.  Then
the credentials cases (exit 4, one line, no value in the output or the files written), the whole-run
deadline, the client's own classification (no server), the cue grammar, the reboot rule, and the
rate limit (a fake clock, and clients sharing one limiter never exceeding it).

The API cases run ``test_6_setter_answers_exactly_true`` (15 tests, 57 requests in all, a fixed number
each); a cue after ``AFTER_REQUESTS`` lands in its fourth or fifth test.  An unasked reboot can only be
told from a network outage while a session runs (fixtures/health.py, rule 4): its case runs a tiny suite
of its own, polled with no session (kept a bench fault, and said so) and then while charging (a product
failure).  The cases run two at a time (one per core): about 40 s wall on an idle two-core host.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import textwrap
import time
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from fixtures.health import reboot_evidence
from instruments.charger_rpc import ChargerClient, MalformedReply, RequestStyle
from instruments.charger_rpc.errors import (ChargerConnectionLost, ChargerGarbledReply, ChargerNoReply,
                                            ChargerRefused, ChargerReplyCutShort)
from instruments.charger_rpc.rate import RateLimit
from simulator.misbehaviour import CueError, Kind, Mark, Misbehaviour, parse_cue

pytestmark = pytest.mark.misbehaviour

PROJECT_ROOT = Path(__file__).resolve().parent.parent
API = ("suites/api/test_method_schemas.py::test_6_setter_answers_exactly_true",)
AFTER_REQUESTS = 20         # the cue's AFTER on the API selection: in its fourth or fifth test (57 requests in all)
HARD_TIMEOUT_S = 60.0       # no case's subprocess may take longer (a hang fails the case, never the file)
CLIENT_TIMEOUT_S = 2.0      # the profile's [charger] timeout_s (a loaded CI host answers well within it)
REBOOT_MAX_S = 40.0         # device s (2 s wall at the virtual bench's time scale 20)
WORKERS = 2                 # cases side by side (one per core)
VERDICT_WITHIN_S = 10.0     # a red test's own duration (JUnit): the 2 s timeout, the 2 s wait for the charger,
                            # its probes' timeouts and the restores after it


# --- the runs ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """A misbehaviour on cue and what the run must make of it."""

    name: str
    cues: tuple[str, ...]
    exit_code: int
    reds: tuple[tuple[str, str], ...] = ()  # each red test in run order: (verdict class, one-line message regex)
    goes_on: bool = True            # a test after the last red one passed (False: the run stopped)
    line: str | None = None         # a regex a line of the output must match (the run's one-line end, a note)
    selection: tuple[str, ...] = API
    options: tuple[str, ...] = ()
    profile: dict[str, object] = field(default_factory=dict)  # [charger] overrides
    launch_extra: tuple[str, ...] = ()   # simulator options in the profile's launch command
    budget_s: float = 50.0          # the whole run's wall time, pytest's startup included (a loaded host: generous)
    hidden: tuple[str, ...] = ()    # strings that must appear nowhere in the output or the files written


SECRET_USER, SECRET_PASSWORD, WRONG_PASSWORD = "bench-op7", "Zq81-xw!pass", "nope-4471"
REBOOT_SUITE = '''
"""Polled until the charger stops answering: with no session, then while charging (tests/test_misbehaviour.py)."""
import pytest


@pytest.mark.api
async def test_polled_with_no_session(charger):
    for _ in range(5000):
        await charger.call("Charger_info.Get")


@pytest.mark.session
async def test_a_session_polled_while_charging(rig):
    await rig.charge(load_a=10)
    for _ in range(5000):
        info = await rig.charger.call("Charger_info.Get")
        assert info["charger_state"] in ("C", "D"), info


@pytest.mark.api
def test_the_run_goes_on_after_it():
    pass
'''
REBOOT_CUES = ("reboot@60", "reboot@200")
"""The tiny suite makes about 30 requests before its first poll loop and about 110 before its second
(measured: 9 ms a poll with every exchange attached to the report), so each reboot lands in a loop."""
NO_REPLY = r"no reply to \S+ within 2 s \(TCP connected\)"

CASES: tuple[Case, ...] = (
    Case("stall for ever", (f"stall@{AFTER_REQUESTS}",), 3, (("bench", NO_REPLY),), goes_on=False,
         line=r"^! .*did not answer again within 40 device s \(reboot_max_s\) after the bench fault in call of "
              r".*; last seen: no reply to Charger_info.Get within 2 s \(TCP connected\) !$"),
    Case("slow, within and beyond the timeout", ("slow=0.3@10:3", f"slow=4@{AFTER_REQUESTS}:1"), 3,
         (("bench", NO_REPLY),)),
    Case("truncated body", (f"truncated@{AFTER_REQUESTS}:1",), 3,
         (("bench", r"reply to \S+ cut short: \d+ of \d+ bytes, then the connection closed"),)),
    Case("garbage body", (f"garbage@{AFTER_REQUESTS}:1",), 3,
         (("bench", r"reply to \S+: HTTP 200 application/json body is not JSON \(\d+ bytes: "),)),
    Case("HTTP 503 HTML", (f"http_5xx@{AFTER_REQUESTS}:1",), 3,
         (("bench", r"reply to \S+: HTTP 503 text/html, not an RPC reply"),)),
    Case("refused for a while", (f"refused@{AFTER_REQUESTS}:2s",), 3,
         (("bench", r"connection to \S+ (refused for \S+: nothing listens|closed before any reply to \S+)"),),
         line=r"no session was running, so no RPC value tells a reboot from a network outage: kept as a bench fault"),
    Case("reboot, unasked", REBOOT_CUES, 1,
         (("bench", r"connection to \S+ (refused for|closed before any reply to)"),
          ("product", r"unexpected reboot of the charger during this test .* and charging_time went back from")),
         selection=("REBOOT_SUITE",), line=r"test_polled_with_no_session \(call\): .* no session was running"),
    Case("whole-run deadline", (f"stall@{AFTER_REQUESTS}:1",), 3, goes_on=False, options=("--run-deadline", "6"),
         profile={"timeout_s": 60.0},
         line=r"^bench fault: the run exceeded its deadline of 6 s \(--run-deadline\) during suites/api/"),
    Case("no HTTP credentials", (), 4, goes_on=False, launch_extra=("--auth", f"{SECRET_USER}:{SECRET_PASSWORD}"),
         line=r"usage error: the charger at \S+ requires HTTP authentication \(401\) and the profile gives no "
              r"credentials: set \[charger\] username_env and password_env",
         hidden=(SECRET_USER, SECRET_PASSWORD)),
    Case("wrong HTTP credentials", (), 4, goes_on=False, launch_extra=("--auth", f"{SECRET_USER}:{SECRET_PASSWORD}"),
         profile={"username": SECRET_USER, "password": WRONG_PASSWORD},
         line=r"usage error: the charger at \S+ refuses the profile's HTTP credentials \(401, auth = digest\): "
              r"check \[charger\] username, password",
         hidden=(SECRET_USER, SECRET_PASSWORD, WRONG_PASSWORD)),
)


@dataclass(frozen=True)
class Red:
    test: str
    verdict: str
    message: str
    seconds: float


@dataclass(frozen=True)
class Outcome:
    case: Case
    exit_code: int | None       # None: killed at the hard timeout (a hang)
    seconds: float
    output: str
    verdicts: tuple[tuple[str, str], ...]   # (test, verdict class) in run order
    red: tuple[Red, ...]
    files: tuple[Path, ...] = ()            # what the run wrote (JUnit XML, Allure results), the profile aside

    def describe(self) -> str:
        shown = self.output if len(self.output) < 5000 else f"{self.output[:1500]}\n[...]\n{self.output[-3500:]}"
        return (f"{self.case.name}: exit {self.exit_code} in {self.seconds:.1f} s; "
                f"verdicts {[v for _, v in self.verdicts]}; output:\n{shown}")


def write_profile(directory: Path, case: Case) -> Path:
    """benches/virtual.toml with a short client timeout and reboot limit, and the case's overrides."""
    raw = tomllib.loads((PROJECT_ROOT / "benches/virtual.toml").read_text())
    raw["launch"]["command"] = [*raw["launch"]["command"], *case.launch_extra]
    raw["charger"] = {**raw["charger"], "timeout_s": CLIENT_TIMEOUT_S, **case.profile}
    raw["limits"] = {"reboot_max_s": {"value": REBOOT_MAX_S, "unit": "s",
                                      "origin": "tests/test_misbehaviour.py: a verdict within seconds"}}
    path = directory / "profile.toml"
    path.write_text(_toml(raw))
    return path


def _toml(raw: dict[str, object]) -> str:
    """Enough TOML for a profile: scalars and lists, tables, ``[resources.<name>]``, inline limit tables."""
    def value(v: object) -> str:
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        return json.dumps(v)

    out = [f"{k} = {value(v)}" for k, v in raw.items() if not isinstance(v, dict)]
    for name, table in raw.items():
        if not isinstance(table, dict):
            continue
        sections = {f"resources.{k}": v for k, v in table.items()} if name == "resources" else {name: table}
        for section, settings in sections.items():
            out += ["", f"[{section}]", *(f"{k} = {value(v)}" for k, v in settings.items())]
    return "\n".join(out) + "\n"


def run_case(case: Case, directory: Path) -> Outcome:
    directory.mkdir(parents=True, exist_ok=True)
    profile = write_profile(directory, case)
    junit = directory / "junit.xml"
    selection = list(case.selection)
    extra: list[str] = []
    if selection == ["REBOOT_SUITE"]:
        suite = directory / "test_reboot_mid_session.py"
        suite.write_text(textwrap.dedent(REBOOT_SUITE))
        selection = [str(suite)]
        extra = ["-c", str(PROJECT_ROOT / "pytest.ini"), "--rootdir", str(PROJECT_ROOT)]
    command = [sys.executable, "-m", "pytest", *selection, *extra, "--bench", str(profile), "-q",
               "-p", "no:cacheprovider", f"--junitxml={junit}", f"--alluredir={directory / 'allure'}",
               "-o", "timeout=60", *case.options]
    for cue in case.cues:
        command += ["--misbehave", cue]
    started = time.monotonic()
    try:
        done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=HARD_TIMEOUT_S,
                              env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        code, output = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as exc:
        code, output = None, f"HUNG: killed after {HARD_TIMEOUT_S} s\n{exc.stdout or ''}{exc.stderr or ''}"
    seconds = time.monotonic() - started
    verdicts, red = read_results(junit)
    written = tuple(p for p in directory.rglob("*") if p.is_file() and p != profile)
    return Outcome(case, code, seconds, output if isinstance(output, str) else output.decode(), verdicts, red,
                   written)


def read_results(junit: Path) -> tuple[tuple[tuple[str, str], ...], tuple[Red, ...]]:
    if not junit.exists():
        return (), ()
    verdicts, red = [], []
    for testcase in ET.parse(junit).getroot().iter("testcase"):
        name = testcase.get("name", "")
        properties = {p.get("name"): p.get("value") for p in testcase.iter("property")}
        verdict = properties.get("verdict_class", "harness")
        verdicts.append((name, verdict))
        for tag in ("failure", "error"):
            element = testcase.find(tag)
            if element is not None:
                red.append(Red(name, verdict, element.get("message", ""), float(testcase.get("time", 0))))
                break
    return tuple(verdicts), tuple(red)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> dict[str, Outcome]:
    """Every selected case's run, side by side (a ``-k`` keeps only the runs it selects)."""
    wanted = {item.callspec.params["case"].name for item in request.session.items
              if getattr(item, "originalname", None) == "test_misbehaviour_is_classified" and hasattr(item, "callspec")}
    cases = [case for case in CASES if case.name in wanted]
    root = tmp_path_factory.mktemp("misbehaviour")
    with ThreadPoolExecutor(WORKERS) as pool:
        runs = pool.map(lambda pair: run_case(pair[1], root / f"case-{pair[0]}"), enumerate(cases))
        return {outcome.case.name: outcome for outcome in runs}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_misbehaviour_is_classified(outcomes: dict[str, Outcome], case: Case) -> None:
    outcome = outcomes[case.name]
    print(f"{case.name}: exit {outcome.exit_code}, run {outcome.seconds:.1f} s wall; "
          + "; ".join(f"red {r.test} [{r.verdict}] {r.seconds:.2f} s: {r.message[:200]}" for r in outcome.red))
    assert outcome.exit_code is not None, f"the run hung: {outcome.describe()}"
    assert "INTERNALERROR" not in outcome.output, f"pytest crashed (its exit code 3 too): {outcome.describe()}"
    assert outcome.exit_code == case.exit_code, outcome.describe()
    assert outcome.seconds < case.budget_s, f"too slow to a verdict: {outcome.describe()}"
    assert len(outcome.red) == len(case.reds), outcome.describe()
    for red, (verdict, message) in zip(outcome.red, case.reds):
        assert red.verdict == verdict, outcome.describe()
        assert red.seconds < VERDICT_WITHIN_S, f"{red.test} took {red.seconds:.1f} s to its verdict"
        assert "\n" not in red.message.strip(), f"the message is not one line: {red.message!r}"
        assert re.search(message, red.message), f"{message!r} not in {red.message!r}"
    if outcome.red:
        last = [name for name, _ in outcome.verdicts].index(outcome.red[-1].test)
        after = [verdict for _, verdict in outcome.verdicts[last + 1:]]
        assert ("passed" in after) == case.goes_on, f"goes on: {case.goes_on}? {outcome.describe()}"
    if case.line:
        assert any(re.search(case.line, line) for line in outcome.output.splitlines()), \
            f"no line matching {case.line!r}: {outcome.describe()}"
    if case.exit_code == 4:
        assert not outcome.verdicts, f"tests ran despite the configuration error: {outcome.describe()}"
        assert sum("usage error:" in line for line in outcome.output.splitlines()) == 1, outcome.describe()
    for secret in case.hidden:  # the terminal, the JUnit XML and the Allure results
        assert secret not in outcome.output, f"{case.name}: a credential appears in the output"
        leaks = [path for path in outcome.files if secret in path.read_text(errors="replace")]
        assert not leaks, f"{case.name}: a credential appears in {leaks}"


# --- the client's classification, unit by unit (no server: httpx.MockTransport) -------------------------
Handler = Callable[[httpx.Request], httpx.Response]


def _client(handler: Handler, **kwargs: object) -> ChargerClient:
    return ChargerClient("http://charger.test", transport=httpx.MockTransport(handler), **kwargs)  # type: ignore[arg-type]


def _raise(exc: type[httpx.HTTPError], text: str, cause: BaseException | None = None) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        error = exc(text, request=request)
        raise error from cause
    return handler


def _reply(status: int, body: bytes, content_type: str) -> Handler:
    return lambda request: httpx.Response(status, content=body, headers={"content-type": content_type})


TRANSPORT_CASES = {
    "read timeout": (_raise(httpx.ReadTimeout, ""), ChargerNoReply,
                     r"^no reply to Charger_info.Get within 3 s \(TCP connected\); POST "),
    "connect timeout": (_raise(httpx.ConnectTimeout, ""), ChargerNoReply,
                        r"^no TCP connection to charger.test within 3 s for Charger_info.Get"),
    "refused": (_raise(httpx.ConnectError, "All connection attempts failed",
                       ConnectionRefusedError(111, "Connect call failed")), ChargerRefused,
                r"^connection to charger.test refused for Charger_info.Get: nothing listens"),
    "dropped": (_raise(httpx.RemoteProtocolError, "Server disconnected without sending a response."),
                ChargerConnectionLost, r"^connection to charger.test closed before any reply to Charger_info.Get"),
    "cut short": (_raise(httpx.RemoteProtocolError, "peer closed connection without sending complete message body "
                                                    "(received 120 bytes, expected 480)"),
                  ChargerReplyCutShort, r"^reply to Charger_info.Get cut short: 120 of 480 bytes"),
    "garbage": (_reply(200, b"\x8f\x00garbage", "application/json"), ChargerGarbledReply,
                r"^reply to Charger_info.Get: HTTP 200 application/json body is not JSON \(9 bytes"),
    "503 html": (_reply(503, b"<html><body>503</body></html>", "text/html; charset=utf-8"), ChargerGarbledReply,
                 r"^reply to Charger_info.Get: HTTP 503 text/html, not an RPC reply"),
    # The charger's own answers stay verdicts: JSON out of form, a plain-text internal error, an empty body.
    "json out of form": (_reply(200, b'{"id": 1, "result": true}', "application/json"), MalformedReply,
                         r"does not echo request id"),
    "500 text/plain": (_reply(500, b"500 Internal Server Error", "text/plain"), MalformedReply, r"HTTP 500"),
    "empty 200": (_reply(200, b"", "application/json"), MalformedReply, r"not a JSON object"),
}


@pytest.mark.parametrize("name", TRANSPORT_CASES)
async def test_the_client_names_what_it_awaited_and_what_it_saw(name: str) -> None:
    handler, fault, message = TRANSPORT_CASES[name]
    async with _client(handler) as client:
        with pytest.raises(fault) as caught:
            await client.call("Charger_info.Get")
    assert re.search(message, str(caught.value)), str(caught.value)
    assert "\n" not in str(caught.value)


async def test_raw_requests_keep_the_suites_verdict_except_an_html_error_page() -> None:
    """The framing suite judges what a raw request got back; only a proxy's HTML page is the bench's."""
    async with _client(_reply(200, b"\x8f not json", "text/plain")) as client:
        reply = await client.send_raw(b"{", label="raw")
    assert reply.status == 200 and reply.json is None
    async with _client(_reply(502, b"<html>bad gateway</html>", "text/html")) as client:
        with pytest.raises(ChargerGarbledReply, match="HTTP 502 text/html, not an RPC reply"):
            await client.send_raw(b"{", label="raw")


# --- the schedule of cues -------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("stall@40", "stall@40"), ("slow=5@40:3", "slow=5@40:3"), ("slow@0", "slow=10@0"),
    ("truncated@10s:2s", "truncated@10s:2s"), ("refused@40:5s", "refused@40:5s"), ("reboot@12.5s", "reboot@12.5s"),
])
def test_a_cue_reads_as_written(text: str, expected: str) -> None:
    assert str(parse_cue(text)) == expected


@pytest.mark.parametrize(("text", "complaint"), [
    ("stal@40", "unknown kind 'stal'"), ("stall", "expected KIND"), ("stall@4.5", "whole"),
    ("refused@4:3", "refused lasts device seconds"), ("reboot@4:1s", "reboot takes no FOR"),
    ("garbage=2@4", "only slow takes a value"), ("slow=x@4", "wall seconds"),
])
def test_a_malformed_cue_says_what_is_wrong(text: str, complaint: str) -> None:
    with pytest.raises(CueError, match=re.escape(complaint)):
        parse_cue(text)


def test_windows_count_requests_or_device_seconds() -> None:
    now = [0.0]
    cues = (parse_cue("garbage@2:2"), parse_cue("stall@10s:1s"), parse_cue("reboot@3"))
    schedule = Misbehaviour(cues, lambda: now[0])
    kinds = []
    for _ in range(6):
        index, cue = schedule.on_request()
        kinds.append(cue.kind.value if cue else None)
        assert [c.kind for c in schedule.events_after(index)] == ([Kind.REBOOT] if index == 3 else [])
    assert kinds == [None, None, "garbage", "garbage", None, None]
    now[0] = 10.5
    assert schedule.on_request()[1].kind is Kind.STALL
    now[0] = 11.0
    assert schedule.on_request()[1] is None
    assert parse_cue("refused@5s:2s").after == Mark(seconds=5.0)


# --- the unexpected-reboot rule -------------------------------------------------------------------------
CHARGING = {"charger_state": "C", "charging_time": 40, "session_id": 7, "session_energy": 120.0}


@pytest.mark.parametrize(("before", "after", "reset_asked", "evidence"), [
    (CHARGING, {**CHARGING, "charging_time": 0, "session_energy": 0.0}, False, "charging_time went back"),
    (CHARGING, {**CHARGING, "session_id": 8, "charging_time": 41}, False, "session_id changed"),
    (CHARGING, {**CHARGING, "charging_time": 44, "session_energy": 125.0}, False, None),  # an outage, no reboot
    (CHARGING, {**CHARGING, "charging_time": 44, "session_energy": 0.0}, True, None),     # Session_energy.Reset
    ({"charger_state": "A", "charging_time": 0, "session_id": 7, "session_energy": 0.0},
     {"charger_state": "A", "charging_time": 0, "session_id": 7, "session_energy": 0.0}, False, None),  # no session
])
def test_a_reboot_shows_only_in_a_running_session(before: dict, after: dict, reset_asked: bool,
                                                 evidence: str | None) -> None:
    found = reboot_evidence(before, after, energy_reset_asked=reset_asked)
    assert (found is None) if evidence is None else (found is not None and evidence in found), found


# --- the rate limit -------------------------------------------------------------------------------------
class FakeClock:
    """A clock that moves only when a sleeper wakes: each sleep ends at its own target time (wakes keep
    their order: the event loop waits a thousandth of the delay), and the clock jumps to it."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        target = self.now + seconds
        await asyncio.sleep(seconds / 1000)
        self.now = max(self.now, target)


def most_in_any_second(starts: list[float]) -> int:
    starts = sorted(starts)
    return max(sum(1 for t in starts if s <= t < s + 1.0 - 1e-9) for s in starts)


async def test_the_rate_limit_spaces_requests_on_a_fake_clock() -> None:
    clock = FakeClock()
    limit = RateLimit(10.0, clock=clock, sleep=clock.sleep)
    starts: list[float] = []

    async def request() -> None:
        await limit.acquire()
        starts.append(clock.now)

    await asyncio.gather(*(request() for _ in range(35)))
    assert len(starts) == 35 and most_in_any_second(starts) == 10
    assert min(b - a for a, b in zip(sorted(starts), sorted(starts)[1:])) >= 0.1 - 1e-9
    assert limit.waited_s > 0
    unlimited = RateLimit(None, clock=clock, sleep=clock.sleep)
    before = clock.now
    for _ in range(100):
        await unlimited.acquire()
    assert clock.now == before  # None: never waits


def test_a_rate_must_be_positive() -> None:
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            RateLimit(bad)


async def test_clients_sharing_a_limiter_never_exceed_it_together() -> None:
    """Every request of every client (call and send_raw) waits for the one limiter of its charger."""
    seen: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(time.monotonic())
        body = json.loads(request.content) if request.content else {}
        return httpx.Response(200, json={"id": body.get("id"), "dst": body.get("src"), "result": {}})

    limit = RateLimit(20.0)
    async with _client(handler, rate_limit=limit) as suite, \
            _client(handler, rate_limit=limit, style=RequestStyle.FRAME) as poller:
        assert suite.rate_limit is limit and poller.rate_limit is limit
        await asyncio.gather(*(suite.call("Charger_info.Get") for _ in range(12)),
                             *(poller.call("App_config.Get") for _ in range(12)),
                             *(suite.send_raw({"id": 1, "src": "x", "method": "Device_id.Get"}) for _ in range(6)))
    assert len(seen) == 30
    # Slots 50 ms apart: the 30 requests span 29 slots; a request the scheduler delays a little may share
    # a one-second window with the 20 slots after it (20 + 1), never more.
    assert seen[-1] - seen[0] >= 29 / 20 - 0.01, seen
    assert most_in_any_second(seen) <= 21, seen


# --- cues on the device clock, in the real server --------------------------------------------------------
async def test_a_timed_cue_closes_the_listener_and_opens_it_again(tmp_path: Path) -> None:
    """``refused@Ts:Fs`` needs no request to fire: the listener closes at T device s and reopens F later."""
    from fixtures.launcher import BenchService  # noqa: PLC0415

    service = BenchService([sys.executable, "-m", "simulator", "--port", "0", "--time-scale", "20",
                            "--state-dir", str(tmp_path), "--misbehave", "refused@20s:20s"],
                           cwd=PROJECT_ROOT, ready_timeout_s=30)
    try:
        assert service.endpoints["misbehaviour"] == ["refused@20s:20s"]
        async with ChargerClient(service.endpoints["charger_url"], timeout_s=2.0) as client:
            seen: list[str] = []  # each change of outcome
            deadline = time.monotonic() + 6.0  # device 0-120 s at time scale 20; the outage is 20-40 s
            while seen[:3] != ["answered", "refused", "answered"] and time.monotonic() < deadline:
                try:
                    await client.call("Device_id.Get")
                    outcome = "answered"
                except (ChargerRefused, ChargerConnectionLost):
                    outcome = "refused"
                if not seen or seen[-1] != outcome:
                    seen.append(outcome)
                await asyncio.sleep(0.05)
    finally:
        service.stop()
    assert seen[:3] == ["answered", "refused", "answered"], seen
