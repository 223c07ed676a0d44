"""A bench left safe after any interruption: the runner is killed at seeded random points and the next run
must find no current flowing, the EV in A and the configuration as found (issue 10, part 1).

Virtual benches that outlive the runner (``python -m simulator``, started here, as a lab's bench is
there before and after any run; two side by side, one per core, each taking every other kill) are reached
through a temporary profile without ``[launch]`` that copies benches/virtual.toml's resources, roles and
clock with the ready line's addresses filled in.  Each kill runs a selection that charges, changes the
configuration and the PIN (parts of the PWM-mapping, session-control, credentials and application-key
suites) in a ``pytest`` subprocess and sends it SIGINT, SIGTERM or SIGKILL at a point drawn from the seed:
while current flows in a PWM sweep (whose limits are moved meanwhile), while the charger holds the PIN
test's temporary PIN (recognised from outside as a later run would: the profile's PIN and the journal's
nonce), during the application-key tests, or at a random instant.  Then the next run (one test: what an
API test finds right after the run's safe start) reads the EV simulator's state through its driver
(instruments/ev_simulator), the charger's current, a full snapshot (application keys, dynamic current,
schedule) and Pin.Check with the profile's PIN, each compared with the bench's state before its first
kill; a journal left by the kill must be reported restored (terminal, Allure environment, verification
summary note) and gone after the next run.

``LEKTRICO_INTERRUPTION_KILLS`` sets the number of kills (CI: 6, two per signal, each signal once
mid-charge; ``make robustness``: 24, eight per signal, every point twice per signal),
``LEKTRICO_INTERRUPTION_SEED`` the seed.  The table (signal, point, the test running and the current at the
kill, what the killed run left, what the next run restored and found) is printed and written to
reports/out/interruption-kills.md.
"""
from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from fixtures.interrupts import HANDLED_LIKE_CTRL_C
from fixtures.journal import Journal, derive_temporary_pin, running_elsewhere
from fixtures.launcher import BenchService
from fixtures.snapshot import EVERYTHING, equal_in_meaning, same_value, take_snapshot
from instruments.charger_rpc import ChargerClient, DeviceError
from instruments.charger_rpc.exchange import CallRecord, Exchange
from instruments.charger_rpc.secret import Secret
from instruments.ev_simulator.ascii_adapter import AsciiEvSimulator
from rig.thresholds import NO_CURRENT_A

pytestmark = pytest.mark.interruption

PROJECT_ROOT = Path(__file__).resolve().parent.parent
KILLS = int(os.environ.get("LEKTRICO_INTERRUPTION_KILLS", "6"))
SEED = int(os.environ.get("LEKTRICO_INTERRUPTION_SEED", "1010"))
TABLE = PROJECT_ROOT / "reports" / "out" / "interruption-kills.md"
PIN = "1234"
TIME_SCALE = "20"
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)

FILES = {"pin": "suites/api/test_credentials.py", "config": "suites/api/test_app_config_keys.py",
         "charging": "suites/bench/test_pwm_mapping.py", "session": "suites/bench/test_session_control.py"}
KILLED_TESTS = ("test_6_34 or test_6_26_ap_password_of_valid or integer_key_accepts_range_bound or test_6_1_headless "
                "or charge_stop or full_session or pwm_advertises")
"""The killed runs' selection: it changes the PIN and the AP password, application keys and the dynamic
current, and charges (the PWM sweeps, the session-control tests)."""


def killed_selection(point: str) -> tuple[str, ...]:
    """The selection, the point's own file first (a kill is not kept waiting behind the others)."""
    order = [FILES[point]] if point in FILES else []
    return (*order, *(path for path in FILES.values() if path not in order), "-k", KILLED_TESTS)


PIN_TEST = "test_credentials.py::test_6_34_new_pin_replaces_the_old_one"
KEY_TESTS = "test_app_config_keys.py::"


@dataclass(frozen=True)
class Point:
    """Where a kill lands: after ``trigger`` is seen, a seeded delay in [low, high] wall seconds."""

    name: str
    trigger: str
    low_s: float
    high_s: float


POINTS = {point.name: point for point in (
    Point("charging", "current flowing at the EV (its simulator's MEAS:CURR? above 1 A) in a PWM sweep, "
                      "which moves the limits while it charges", 0.0, 1.0),
    Point("pin", "the charger holds the PIN test's temporary PIN (derived from the journal's nonce)", 0.0, 0.005),
    Point("config", "the application-key tests under way (the second one started: each sets a key to a bound)",
          0.0, 0.1),
    Point("time", "a random instant after the first test started", 0.2, 4.0),
)}
ROTATION = {signal.SIGKILL: ("charging", "pin", "config", "time"), signal.SIGTERM: ("charging", "config", "time", "pin"),
            signal.SIGINT: ("charging", "time", "pin", "config")}
"""Each signal meets every point in turn, mid-charge first: 2 kills per signal already include one mid-charge."""


@dataclass(frozen=True)
class Kill:
    index: int
    signal: signal.Signals
    point: Point
    delay_s: float


def plan(kills: int, seed: int) -> list[Kill]:
    """``kills`` kills, as even across the signals as the number allows, each signal's points in rotation,
    the order and every delay drawn from ``seed``."""
    rng = random.Random(seed)
    drawn = [(sig, ROTATION[sig][n % len(ROTATION[sig])]) for sig in SIGNALS
             for n in range(kills // len(SIGNALS) + (1 if SIGNALS.index(sig) < kills % len(SIGNALS) else 0))]
    rng.shuffle(drawn)
    return [Kill(i + 1, sig, POINTS[name], round(rng.uniform(POINTS[name].low_s, POINTS[name].high_s), 3))
            for i, (sig, name) in enumerate(drawn)]


# --- the bench that outlives every run --------------------------------------------------------------------------
@dataclass
class OutlivingBench:
    profile: Path
    endpoints: dict[str, Any]
    work: Path

    @property
    def charger_url(self) -> str:
        return str(self.endpoints["charger_url"])

    @property
    def journal(self) -> Path:
        return self.work / "journal" / "outliving.json"


def profile_without_launch(endpoints: dict[str, Any]) -> str:
    """benches/virtual.toml without its ``[launch]`` table, every ``{placeholder}`` the ready line's value."""
    text = (PROJECT_ROOT / "benches" / "virtual.toml").read_text()
    text = re.sub(r"^\[launch\]\n(?:(?!\[).*\n)*", "", text, flags=re.M)
    text = re.sub(r'^name = "virtual"', 'name = "virtual-outliving"', text, flags=re.M)
    for key, value in endpoints.items():
        text = text.replace("{" + key + "}", str(value))
    assert "{" not in re.sub(r"#.*", "", text), f"a placeholder is left unfilled: {text}"
    return text


BENCHES = 2
"""Benches killed on side by side (one per core): each kill is two pytest starts, mostly CPU."""


@pytest.fixture(scope="module")
def outliving(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[OutlivingBench]]:
    """Virtual benches installed once (``connected_phase`` provisioned, so every key can be put back) that
    every run below reaches as a lab reaches its bench: no run starts or stops them."""
    services: list[BenchService] = []
    benches = []
    try:
        for number in range(BENCHES):
            work = tmp_path_factory.mktemp(f"interruption-{number}")
            services.append(BenchService([sys.executable, "-m", "simulator", "--port", "0", "--time-scale", TIME_SCALE,
                                          "--state-dir", str(work / "flash"), "--pin", PIN,
                                          "--provision", "connected_phase=1"], cwd=PROJECT_ROOT, ready_timeout_s=30))
            profile = work / "outliving.toml"
            profile.write_text(profile_without_launch(services[-1].endpoints))
            benches.append(OutlivingBench(profile, services[-1].endpoints, work))
        yield benches
    finally:
        for service in services:
            service.stop()


# --- what the runs are given ---------------------------------------------------------------------------------------
PROBE = '''"""Where the run is: a line per test start and finish, flushed (tests/test_interruption.py)."""
import os


def _line(text):
    with open(os.environ["INTERRUPTION_PROBE"], "a") as probe:
        probe.write(text + "\\n")


def pytest_runtest_logstart(nodeid, location):
    _line("start " + nodeid)


def pytest_runtest_logfinish(nodeid, location):
    _line("finish " + nodeid)
'''

NEXT_RUN = '''"""The run after a kill, right after its safe start: what an API test finds (tests/test_interruption.py)."""
import json
import os
from pathlib import Path

import pytest

from fixtures.snapshot import EVERYTHING, take_snapshot
from instruments.charger_rpc import DeviceError
from instruments.ev_simulator.ascii_adapter import AsciiEvSimulator

pytestmark = pytest.mark.methods


async def test_what_the_next_run_finds(charger, bench):
    ev = AsciiEvSimulator.open(os.environ["INTERRUPTION_EV_URL"])
    try:
        seen = {"cp_state": ev.query("CP:STAT?"), "current_a": ev.load_current_a(), "mains": ev.mains_present(),
                "residual_dc_ma": float(ev.query("RCD:DC?")), "residual_ac_ma": float(ev.query("RCD:AC?"))}
    finally:
        ev.close()
    info = await charger.call("Charger_info.Get")
    snapshot = await take_snapshot(charger, EVERYTHING)
    try:
        pin_ok = await charger.call("Pin.Check", {"pin": bench.profile.secret("charger", "pin")}) is True
    except DeviceError:
        pin_ok = False
    Path(os.environ["INTERRUPTION_CHECK_OUT"]).write_text(json.dumps({
        "ev": seen, "charger_state": info.get("charger_state"), "charger_current_a": info.get("current"),
        "app_config": snapshot.app_config, "dynamic_current": snapshot.dynamic_current,
        "charging_schedule": snapshot.schedule, "pin_ok": pin_ok}))
'''


PYTEST = [sys.executable, "-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                                "os.execv(sys.executable, [sys.executable, '-m', 'pytest', *sys.argv[1:]])"]
"""``python -m pytest`` with SIGINT at its default (a run started from a shell's background job inherits it
ignored, and the SIGINT kills must reach it), with no ``preexec_fn`` (unsafe beside threads)."""


# --- reading the bench from outside the runs ------------------------------------------------------------------------
async def _charger_state(url: str) -> dict[str, Any]:
    async with ChargerClient(url) as client:
        info = await client.call("Charger_info.Get")
        snapshot = await take_snapshot(client, EVERYTHING)
        try:
            pin_ok = await client.call("Pin.Check", {"pin": PIN}) is True
        except DeviceError:
            pin_ok = False
    return {"charger_state": info.get("charger_state"), "charger_current_a": info.get("current"),
            "app_config": snapshot.app_config, "dynamic_current": snapshot.dynamic_current,
            "charging_schedule": snapshot.schedule, "pin_ok": pin_ok}


def charger_state(url: str) -> dict[str, Any]:
    return asyncio.run(_charger_state(url))


class Missed(Exception):
    """The point's moment passed without the trigger firing (the PIN window is a few exchanges long)."""


class TemporaryPinHeld:
    """The "pin" trigger: once the PIN test runs, Pin.Check of its temporary PIN, computed as a later run
    would (the profile's PIN and the nonce in the run's journal), as fast as a kept-alive connection allows,
    until the charger takes it (fire) or the test is over (missed)."""

    def __init__(self, bench: OutlivingBench, probe: Probe) -> None:
        self.bench, self.probe = bench, probe
        self.http = httpx.Client(base_url=bench.charger_url, timeout=3.0)

    def __call__(self) -> bool:
        if not self.probe.started(PIN_TEST):
            return False
        nonce = json.loads(self.bench.journal.read_text())["nonce"]
        frame = {"id": 1, "src": "interruption-test", "method": "Pin.Check",
                 "params": {"pin": derive_temporary_pin(PIN, nonce).reveal()}}
        deadline = time.monotonic() + 10
        while self.probe.running() == PIN_TEST and time.monotonic() < deadline:
            if self.http.post("/rpc", json=frame).json().get("result") is True:
                return True
        raise Missed("the PIN test ended before its temporary PIN was seen")

    def close(self) -> None:
        self.http.close()


def drift(baseline: dict[str, Any], seen: dict[str, Any]) -> list[str]:
    """What differs from the state before the first kill: application keys (NULL strings equal in any form),
    dynamic current, schedule, and the PIN (Pin.Check of the profile's)."""
    keys = dict.fromkeys([*baseline["app_config"], *seen["app_config"]])
    out = [key for key in keys if not equal_in_meaning(key, baseline["app_config"].get(key), seen["app_config"].get(key))]
    out += [name for name in ("dynamic_current", "charging_schedule") if not same_value(baseline[name], seen[name])]
    return out + ([] if seen["pin_ok"] else ["PIN"])


@dataclass
class KillRecord:
    kill: Kill
    test: str = ""
    charging_a: float = 0.0
    killed_exit: int | None = None
    exit_s: float = 0.0
    left: str = ""
    journal_left: bool = False
    next_exit: int | None = None
    restored: str = ""
    after: dict[str, Any] = field(default_factory=dict)
    still: list[str] = field(default_factory=list)   # what the next run found not as before the first kill
    problems: list[str] = field(default_factory=list)
    attempts: int = 1

    @property
    def charging(self) -> bool:
        return self.charging_a > 1.0


class Probe:
    def __init__(self, path: Path) -> None:
        self.path = path

    def lines(self) -> list[str]:
        return self.path.read_text().splitlines() if self.path.exists() else []

    def started(self, fragment: str = "", count: int = 1) -> bool:
        """At least ``count`` tests whose node id holds ``fragment`` have started."""
        return sum(1 for line in self.lines() if line.startswith("start ") and fragment in line) >= count

    def running(self) -> str:
        """The test running now, or where between tests the run is."""
        lines = self.lines()
        if not lines:
            return "before the first test"
        kind, _, nodeid = lines[-1].partition(" ")
        short = nodeid.split("/")[-1]
        return short if kind == "start" else f"between tests (after {short})"


def _pause(seconds: float, alive: Callable[[], bool]) -> bool:
    """Let the drawn delay pass (the kill point itself, not a wait for a condition); False when the run ended."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        if not alive():
            return False
        time.sleep(min(0.005, max(0.0, until - time.monotonic())))
    return alive()


def _wait(condition: Callable[[], bool], within_s: float, what: str, alive: Callable[[], bool]) -> bool:
    """Poll ``condition`` (every 5 ms) until it holds; False when the run ended first."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if condition():
            return True
        if not alive():
            return False
        time.sleep(0.005)
    raise AssertionError(f"interruption harness: {what} not seen within {within_s} s")


def run_next(bench: OutlivingBench, index: int) -> tuple[int, str, dict[str, Any], Path]:
    """The next run: one test after the safe start; its exit code, terminal output, findings, Allure dir."""
    work = bench.work / f"next-{index}"
    work.mkdir()
    check = work / "test_next_run.py"
    check.write_text(NEXT_RUN)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "INTERRUPTION_EV_URL": str(bench.endpoints["ev_simulator_url"]),
           "INTERRUPTION_CHECK_OUT": str(work / "found.json")}
    done = subprocess.run([sys.executable, "-m", "pytest", str(check), "-c", str(PROJECT_ROOT / "pytest.ini"),
                           "--rootdir", str(PROJECT_ROOT), "--bench", str(bench.profile), "--journal", str(bench.journal),
                           "-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", f"--alluredir={work / 'allure'}",
                           "-o", "timeout=60"],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    found = json.loads((work / "found.json").read_text()) if (work / "found.json").exists() else {}
    return done.returncode, done.stdout + done.stderr, found, work / "allure"


def kill_once(bench: OutlivingBench, kill: Kill, ev: AsciiEvSimulator, baseline: dict[str, Any]) -> KillRecord:
    record = KillRecord(kill)
    delay = kill.delay_s
    while True:
        work = bench.work / f"kill-{kill.index}-{record.attempts}"
        work.mkdir()
        (work / "interruption_probe.py").write_text(PROBE)
        probe = Probe(work / "probe.txt")
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1", "INTERRUPTION_PROBE": str(probe.path),
               "PYTHONPATH": os.pathsep.join([str(work), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
        with open(work / "output.txt", "w") as output:
            child = subprocess.Popen([*PYTEST, *killed_selection(kill.point.name),
                                      "--bench", str(bench.profile),
                                      "--journal", str(bench.journal), "-p", "interruption_probe", "-p", "no:cacheprovider",
                                      "-p", "no:hypothesispytest",
                                      "-q", f"--alluredir={work / 'allure'}", "-o", "timeout=120"],
                                     cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
            alive = lambda: child.poll() is None  # noqa: E731
            pin_held = TemporaryPinHeld(bench, probe)
            trigger = {"charging": lambda: ev.load_current_a() > 1.0, "pin": pin_held,
                       "config": lambda: probe.started(KEY_TESTS, count=2), "time": lambda: probe.started()}[kill.point.name]
            try:
                fire = _wait(trigger, 90, kill.point.trigger, alive) and _pause(delay, alive)
                if fire and kill.point.name == "charging":  # after the drawn delay, still (or again) mid-charge
                    fire = _wait(trigger, 90, kill.point.trigger, alive)
            except Missed:  # end this attempt as Ctrl-C would (its teardowns restore) and try again
                fire = False
                child.send_signal(signal.SIGINT)
            finally:
                pin_held.close()
            if fire:
                record.charging_a = ev.load_current_a()
                record.test = probe.running()
                sent = time.monotonic()
                os.kill(child.pid, kill.signal)
                try:
                    record.killed_exit = child.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    child.kill()
                    record.killed_exit = child.wait()
                    record.problems.append(f"still running 60 s after {kill.signal.name}")
                record.exit_s = time.monotonic() - sent
                break
            child.wait(timeout=120)
        if record.attempts >= 4:
            raise AssertionError(f"kill {kill.index}: the run missed its point {kill.point.name} every time")
        record.attempts += 1
        delay /= 2  # the run ended before the point: an earlier one

    record.journal_left = bench.journal.exists()
    left = charger_state(bench.charger_url)
    changed = drift(baseline, left)
    record.left = (f"EV {ev.query('CP:STAT?')}, {ev.load_current_a():.1f} A; charger {left['charger_state']}"
                   + (f"; changed: {', '.join(changed)}" if changed else "; configuration as found"))
    if kill.signal is signal.SIGKILL:
        if record.killed_exit != -signal.SIGKILL:
            record.problems.append(f"exit {record.killed_exit} after SIGKILL")
    else:
        if record.killed_exit != 2:
            tail = "\n".join(line for line in (work / "output.txt").read_text().splitlines()
                             if line.strip() and " no tests " not in line)[-2500:]
            record.problems.append(f"exit {record.killed_exit} after {kill.signal.name}, not 2 (interrupted): {tail}")
        if record.journal_left:
            record.problems.append(f"journal left after {kill.signal.name}: the teardowns did not put everything back "
                                   f"({bench.journal.read_text()[-1500:]})")
        if changed:
            record.problems.append(f"{kill.signal.name}: the killed run's teardown left {', '.join(changed)} changed")

    code, text, found, allure = run_next(bench, kill.index)
    record.next_exit, record.after = code, found
    restored = [line for line in text.splitlines() if line.startswith("safe start: ")]
    record.restored = restored[0].removeprefix("safe start: ") if restored else "no journal"
    if code != 0 or not found:
        record.problems.append(f"the next run exited {code}: {text[-1500:]}")
        return record
    if found["ev"]["cp_state"] != "A" or found["charger_state"] != "A":
        record.problems.append(f"EV {found['ev']['cp_state']}, charger {found['charger_state']} (not A)")
    if found["ev"]["current_a"] >= NO_CURRENT_A or found["charger_current_a"] >= NO_CURRENT_A or found["ev"]["mains"]:
        record.problems.append(f"current flowing: EV {found['ev']['current_a']} A, charger {found['charger_current_a']} A, "
                               f"mains at the EV {found['ev']['mains']}")
    if found["ev"]["residual_dc_ma"] or found["ev"]["residual_ac_ma"]:
        record.problems.append(f"residual current on: {found['ev']['residual_dc_ma']} mA DC, {found['ev']['residual_ac_ma']} mA AC")
    still = record.still = drift(baseline, found)
    if still:
        record.problems.append(f"configuration not as found: {', '.join(still)}")
    if record.journal_left:
        environment = (allure / "environment.properties").read_text() if (allure / "environment.properties").exists() else ""
        summary = (allure / "verification-summary.md").read_text() if (allure / "verification-summary.md").exists() else ""
        if not restored or "journal.restored=" not in environment or "Note: safe start:" not in summary:
            record.problems.append("a journal was left but the next run's terminal, Allure environment or verification "
                                   "summary does not say what it restored")
    if bench.journal.exists():
        record.problems.append("the next run ended clean but left a journal")
    return record


def table(records: list[KillRecord], seconds: float) -> str:
    by_signal = Counter(r.kill.signal.name for r in records)
    mid_charge = Counter(r.kill.signal.name for r in records if r.charging)
    lines = [f"# Interruption test: {len(records)} kills (seed {SEED}), {seconds:.0f} s", "",
             "kills by signal: " + ", ".join(f"{name} {count} ({mid_charge[name]} mid-charge)"
                                            for name, count in sorted(by_signal.items())),
             "kills by point: " + ", ".join(f"{name} {count}" for name, count in
                                           sorted(Counter(r.kill.point.name for r in records).items())), "",
             "| # | signal | point (delay) | test running | current at kill | killed run | journal left | left at kill "
             "| next run: restored | next run: EV / current / config / PIN | verdict |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        found = r.after
        after = (f"{found['ev']['cp_state']} / {max(found['ev']['current_a'], found['charger_current_a'] or 0):.1f} A / "
                 f"{'as found' if not r.still else 'DRIFT ' + ', '.join(r.still)} / {'ok' if found['pin_ok'] else 'WRONG'}") \
            if found else "-"
        lines.append(f"| {r.kill.index} | {r.kill.signal.name} | {r.kill.point.name} (+{r.kill.delay_s:g} s"
                     f"{f', attempt {r.attempts}' if r.attempts > 1 else ''}) | {r.test} | {r.charging_a:.1f} A | "
                     f"exit {r.killed_exit} in {r.exit_s:.1f} s | {'yes' if r.journal_left else 'no'} | {r.left} | "
                     f"{r.restored} | {after} | {'; '.join(r.problems) or 'safe, as found'} |")
    return "\n".join(lines) + "\n"


# --- the journal's parts ----------------------------------------------------------------------------------------
def test_the_temporary_pin_is_the_nonces_and_never_the_benchs() -> None:
    derived = {nonce: derive_temporary_pin(PIN, nonce) for nonce in ("a1", "b2", "c3", "d4")}
    assert all(re.fullmatch(r"\d{4}", p.reveal()) and p != PIN for p in derived.values())
    assert derive_temporary_pin(PIN, "a1") == derived["a1"], "a later run must compute the same PIN"
    assert len(set(derived.values())) > 1
    assert "***" in repr(derived["a1"]) and derived["a1"].reveal() not in f"{derived['a1']} {derived['a1']!r}"


def test_the_journal_records_credential_states_never_their_values(tmp_path: Path) -> None:
    journal = Journal(nonce="feedfacecafebeef",
                      profile_secrets={"pin": Secret(PIN, "charger.pin"), "ap_password": Secret("", "charger.ap_password")})
    journal.current_test = "suites/api/test_x.py::test_y"
    journal.open(tmp_path / "j.json", {"bench": "unit"})
    exchange = Exchange("Pin.Set", "POST", "http://x/rpc", None, 200, None, 0.0, "frame")
    journal.observe_call(CallRecord("Pin.Set", {"pin": "***"}, True, None, exchange))  # the client masks params
    on_disk = json.loads((tmp_path / "j.json").read_text())
    assert on_disk["at_risk"]["pin"]["test"] == "suites/api/test_x.py::test_y", "a PIN set by a test not holding it"
    journal.held = {"ap_password"}
    journal.observe_call(CallRecord("Ap_password.Set", {"password": "***"}, True, None, exchange))
    assert "ap_password" not in journal.at_risk, "a test holding the AP password puts it back itself"
    assert journal.set_in_run == {"pin", "ap_password"}
    journal.observe_call(CallRecord("Charge.Start", None, True, None, exchange))
    assert "session" in json.loads((tmp_path / "j.json").read_text())["at_risk"]
    journal.observe_call(CallRecord("Charge.Stop", None, True, None, exchange))
    text = (tmp_path / "j.json").read_text()
    assert "session" not in json.loads(text)["at_risk"] and PIN not in text
    assert not list(tmp_path.glob(".*.tmp")), "the atomic write leaves no temporary file"


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_a_journal_of_a_live_run_is_not_taken_for_a_killed_ones() -> None:
    """Two runs on one charger would undo each other: the second stops (bench fault) rather than "restore"."""
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)  # stands for a pytest run"])
    try:
        _wait(lambda: b"time.sleep" in _cmdline(sleeper.pid), 5, "the process, exec'd", lambda: True)  # not mid-exec
        here = socket.gethostname()
        assert running_elsewhere({"pid": sleeper.pid, "host": here, "started_at": now})
        assert not running_elsewhere({"pid": sleeper.pid, "host": here, "started_at": "2020-01-01T00:00:00+00:00"}), \
            "a pid reused since the journal was written is another process"
        assert not running_elsewhere({"pid": os.getpid(), "host": here, "started_at": now})
    finally:
        sleeper.kill()
        sleeper.wait()
    assert not running_elsewhere({"pid": sleeper.pid, "host": here, "started_at": now}), "a killed run is gone"


TERMINATED = '''
import asyncio, os, pytest

@pytest.fixture(scope="session")
def restore_left_impossible():
    yield
    raise AssertionError("the charger refused to take back install_current")

@pytest.fixture
async def torn_down(restore_left_impossible):
    yield
    with open(os.environ["TORN_DOWN"], "w") as marker:
        marker.write("teardown ran")

async def test_waits(torn_down):
    open(os.environ["STARTED"], "w").close()
    await asyncio.sleep(60)
'''


@pytest.mark.parametrize("name", [s.name for s in HANDLED_LIKE_CTRL_C if s is not signal.SIGTERM])
def test_sighup_is_handled_like_ctrl_c(pytester: pytest.Pytester, name: str) -> None:
    """The running test is cancelled as Ctrl-C cancels it, every fixture's teardown runs, the exit code is 2,
    even when a session finalizer fails after the interruption (pytest would end with a traceback: exit 1).
    (SIGTERM: the kills below.)"""
    pytester.makepyfile(test_terminated=TERMINATED)
    started, torn_down = pytester.path / "started", pytester.path / "torn-down"
    env = {**os.environ, "STARTED": str(started), "TORN_DOWN": str(torn_down), "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen([*PYTEST, "-p", "no:cacheprovider", "test_terminated.py"],
                             cwd=pytester.path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert _wait(started.exists, 30, "the test started", lambda: child.poll() is None)
        os.kill(child.pid, getattr(signal, name))
        output, _ = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 2, output
    assert torn_down.read_text() == "teardown ran", output
    assert f"interrupted by {name}, handled as Ctrl-C" in output, output
    assert "teardown after the interruption failed: AssertionError: the charger refused" in output, output


def test_a_charger_only_bench_gets_a_killed_runs_journal_undone(tmp_path: Path) -> None:
    """No EV side to unplug: the safe start stops the session the journal says the suite started, puts the
    configuration back, recognises the temporary PIN from the nonce and sets the profile's again; the run's
    own test (Pin.Check of the profile's PIN) then passes, and the report says what was restored."""
    service = BenchService([sys.executable, "-m", "simulator", "--port", "0", "--time-scale", TIME_SCALE, "--pin", PIN,
                            "--state-dir", str(tmp_path / "flash"), "--provision", "connected_phase=1"],
                           cwd=PROJECT_ROOT, ready_timeout_s=30)
    url, path = str(service.endpoints["charger_url"]), tmp_path / "journal.json"
    try:
        found = charger_state(url)
        killed = Journal(nonce="0f1e2d3c4b5a6978")
        killed.open(path, {"bench": "charger-only", "charger_url": url, "launched": False, "pid": 1,
                           "started_at": "2026-01-01T00:00:00+00:00", "nonce": killed.nonce})
        killed.as_found = {"read_at": "2026-01-01T00:00:01+00:00", "app_config": found["app_config"],
                           "dynamic_current": found["dynamic_current"], "charging_schedule": found["charging_schedule"],
                           "domains": ["app_config", "charging_schedule", "dynamic_current"]}
        killed.mark("session", "Charge.Start answered True", test="suites/x.py::test_start")
        killed.mark("pin", "changed to a temporary one", test="suites/x.py::test_pin", nonce=killed.nonce)

        async def leave_it_changed() -> None:
            async with ChargerClient(url) as client:
                assert await client.call("Charge.Start") is True
                await client.call("App_config.Set", {"config_key": "led_max_brightness", "config_value": 55})
                await client.call("Dynamic_current.Set", {"dynamic_current": 13})
                await client.call("Pin.Set", {"pin": derive_temporary_pin(PIN, killed.nonce)})
        asyncio.run(leave_it_changed())
        assert drift(found, charger_state(url)) == ["led_max_brightness", "dynamic_current", "PIN"]

        env = {**os.environ, "LEKTRICO_PIN": PIN, "LEKTRICO_AP_PASSWORD": "", "PYTHONDONTWRITEBYTECODE": "1"}
        done = subprocess.run([sys.executable, "-m", "pytest", "suites/api/test_credentials.py", "-k",
                               "pin_check_accepts_the_current_pin and frame", "--charger-url", url, "--time-scale",
                               TIME_SCALE, "--journal", str(path), "-q", "-p", "no:cacheprovider", "-p",
                               "no:hypothesispytest", f"--alluredir={tmp_path / 'allure'}"],
                              cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
        line = next(line for line in done.stdout.splitlines() if line.startswith("safe start: journal of an interrupted run"))
        for said in ("started 2026-01-01T00:00:00+00:00", "session started by suites/x.py::test_start: Charge.Stop answered True",
                     "put back led_max_brightness, dynamic_current",
                     f"the charger held the temporary PIN derived from nonce {killed.nonce}"):
            assert said in line, line
        assert "journal.restored=" in (tmp_path / "allure" / "environment.properties").read_text()
        assert "Note: safe start: journal of an interrupted run" in (tmp_path / "allure" / "verification-summary.md").read_text()
        assert drift(found, charger_state(url)) == [] and not path.exists(), "put back as found, and the journal gone"
    finally:
        service.stop()


def test_plan_spreads_signals_and_points() -> None:
    """The CI plan has two kills per signal, each signal one mid-charge; the full plan every point per signal."""
    ci, full = plan(6, SEED), plan(24, SEED)
    assert Counter(k.signal for k in ci) == {s: 2 for s in SIGNALS}
    assert {k.signal for k in ci if k.point.name == "charging"} == set(SIGNALS)
    assert Counter((k.signal, k.point.name) for k in full) == {(s, p): 2 for s in SIGNALS for p in POINTS}
    assert plan(6, SEED) == ci, "the plan is the seed's"


def kill_on(bench: OutlivingBench, kills: list[Kill]) -> list[KillRecord]:
    """Every kill of ``kills`` on one bench, in order; the bench's state before the first is the baseline."""
    baseline = charger_state(bench.charger_url)
    assert baseline["pin_ok"], "the outliving bench does not take the profile's PIN before the first kill"
    ev = AsciiEvSimulator.open(str(bench.endpoints["ev_simulator_url"]))
    records: list[KillRecord] = []
    try:
        for kill in kills:
            try:
                records.append(kill_once(bench, kill, ev, baseline))
            except AssertionError as error:  # the harness could not place the kill: recorded, not hidden
                records.append(KillRecord(kill, problems=[f"harness: {error}"]))
    finally:
        ev.close()
    return records


def test_a_killed_runner_leaves_the_next_run_a_safe_bench_as_found(outliving: list[OutlivingBench]) -> None:
    started = time.monotonic()
    kills = plan(KILLS, SEED)
    with ThreadPoolExecutor(max_workers=len(outliving)) as pool:
        done = list(pool.map(lambda n: kill_on(outliving[n], kills[n::len(outliving)]), range(len(outliving))))
    records = sorted((r for rs in done for r in rs), key=lambda r: r.kill.index)
    text = table(records, time.monotonic() - started)
    TABLE.parent.mkdir(parents=True, exist_ok=True)
    TABLE.write_text(text)
    print("\n" + text)
    assert len(records) == KILLS
    assert Counter(r.kill.signal for r in records) == Counter(k.signal for k in kills)
    assert any(r.charging for r in records if r.kill.signal is signal.SIGKILL), \
        "no SIGKILL landed while current flowed: the mid-charge case was not exercised"
    failed = [f"kill {r.kill.index} ({r.kill.signal.name}, {r.kill.point.name}, {r.test}): {'; '.join(r.problems)}"
              for r in records if r.problems]
    assert not failed, "\n".join(failed)
