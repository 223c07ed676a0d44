"""Benches from labgrid places: a run acquires its place, takes the addresses from it and releases it.

A real labgrid coordinator and exporter run on loopback (lab/loopback.py) with one virtual bench
published as place ``bench-1``; each run is a ``pytest`` subprocess on a tiny selection of the suites.
What is shown: a run on a place passes and the place is free afterwards; two runs asking for the same
place do not interleave (the second waits for the first, or, with a short ``acquire_timeout_s``, ends as a
bench fault naming the holder); a SIGKILLed run's place is reported and taken by the next run; a profile
whose coordinator does not answer, or whose place does not exist, is one line before any test.
"""
from __future__ import annotations

import dataclasses
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from fixtures.labgrid_place import (Coordinator, PlaceError, PlaceSettings, PlaceState, acquire_place, address_of,
                                    filled_raw, run_identity)
from fixtures.profile import ProfileError, load_profile
from lab.exporter_config import resource_of
from lab.loopback import LoopbackLab, free_port

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SELECTION = ["suites", "-m", "methods", "-k", "Charger_info"]
"""A tiny selection that reaches the charger (its safe start included): seconds at time scale 20."""
LONGER_SELECTION = ["suites", "-m", "states"]
"""Long enough to be killed while it holds the place."""
RUN_TIMEOUT_S = 120.0
QUERY_SLACK_S = 5
"""Wall s a held-place wait may run past its timeout: the last query of the coordinator (labgrid-client) it made."""
WAIT_S = 30.0


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackLab]:
    with LoopbackLab(1, time_scale=20, tmp_dir=tmp_path_factory.mktemp("lab")) as started:
        yield started


def settings_of(profile: Path) -> PlaceSettings:
    settings = PlaceSettings.of(load_profile(profile).raw)
    assert settings is not None
    return settings


def holder_now(lab: LoopbackLab) -> str | None:
    """Who holds place bench-1, as the coordinator says (None: nobody)."""
    return Coordinator(settings_of(lab.profiles[0]), run_identity()).show().acquired


def variant(lab: LoopbackLab, tmp_path: Path, **labgrid: str | float) -> Path:
    """bench-1's profile with some of its [labgrid] keys changed."""
    text = lab.profiles[0].read_text()
    for key, value in labgrid.items():
        text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {value!r}".replace("'", '"'), text)
    path = tmp_path / f"variant-{len(list(tmp_path.glob('variant-*')))}.toml"
    path.write_text(text)
    return path


def start_run(profile: Path, work: Path, selection: list[str] = SELECTION) -> subprocess.Popen[str]:
    """A pytest run on the profile's place, with its own result directory and the charger's journal (one per
    bench, as the default journal is one per charger: a killed run's next run restores what it changed)."""
    work.mkdir(parents=True, exist_ok=True)
    journal = profile.parent / "journal.json"
    return subprocess.Popen([sys.executable, "-m", "pytest", *selection, "--bench", str(profile), "-q",
                             "-p", "no:cacheprovider", "-p", "no:labgrid", f"--alluredir={work / 'allure'}",
                             "--journal", str(journal), "-o", "timeout=60"],
                            cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(run: subprocess.Popen[str]) -> tuple[int, str]:
    try:
        output, _ = run.communicate(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        run.kill()
        output, _ = run.communicate()
        pytest.fail(f"the run did not end within {RUN_TIMEOUT_S:.0f} s; last seen: {output[-2000:]}")
    return run.returncode, output


def holder_of(run: subprocess.Popen[str]) -> str:
    identity = run_identity(run.pid)
    return f"{identity['LG_HOSTNAME']}/{identity['LG_USERNAME']}"


def lines_with(output: str, text: str) -> list[str]:
    return [line for line in output.splitlines() if text in line]


# ---------------------------------------------------------------- without processes

ADDRESSES = [
    # (profile key the address fills, the address, the labgrid class that publishes it)
    ("charger", "http://127.0.0.1:42017", "NetworkService"),
    ("charger", "http://192.0.2.10", "NetworkService"),
    ("url", "socket://127.0.0.1:39807", "NetworkSerialPort"),
    ("url", "rfc2217://192.0.2.42:4001", "NetworkSerialPort"),
    ("resource", "TCPIP::127.0.0.1::36135::SOCKET", "NetworkService"),
    ("resource", "TCPIP::192.0.2.20::INSTR", "PyVISADevice"),
    ("resource", "GPIB0::4::INSTR", "PyVISADevice"),
]


@pytest.mark.parametrize(("wanted", "address", "cls"), ADDRESSES, ids=[a[1] for a in ADDRESSES])
def test_an_address_survives_the_exporter_and_the_place(wanted: str, address: str, cls: str) -> None:
    resource = resource_of(address)
    assert resource["cls"] == cls
    params = {key: value for key, value in resource.items() if key != "cls"}
    state = PlaceState("bench-1", None, "", {"it": {"cls": cls, "params": params}})
    assert address_of(state, "it", wanted) == address


PROFILE_MISTAKES = [
    # (what the profile says, what the usage error says)
    ('[charger]\nlabgrid = "charger"\n', "needs a [labgrid] table"),
    ('[labgrid]\nplace = "bench-1"\n[charger]\nlabgrid = "charger"\nurl = "http://x"\n', "give one"),
    ('[labgrid]\ncoordinator = "127.0.0.1:1"\n[charger]\nlabgrid = "charger"\n', "[labgrid] has no 'place'"),
]


@pytest.mark.parametrize(("text", "said"), PROFILE_MISTAKES)
def test_a_labgrid_profile_mistake_is_a_usage_error(tmp_path: Path, text: str, said: str) -> None:
    path = tmp_path / "bench.toml"
    path.write_text(text)
    with pytest.raises(ProfileError, match=re.escape(said)):
        load_profile(path)


# ---------------------------------------------------------------- runs on the loopback lab

def test_two_runs_on_one_place_do_not_interleave(lab: LoopbackLab, tmp_path: Path) -> None:
    """Started together, each passes on the place and releases it; one acquires first, the other waits for it,
    names it, and acquires after its release."""
    runs = [start_run(lab.profiles[0], tmp_path / name) for name in ("first", "second")]
    results = [finish(run) for run in runs]
    assert [code for code, _ in results] == [0, 0], [output[-2000:] for _, output in results]
    for run, (_, output) in zip(runs, results):
        assert lines_with(output, f"labgrid: acquired place bench-1 as {holder_of(run)}"), output[-3000:]
        assert lines_with(output, "labgrid: released place bench-1"), output[-3000:]
    waited = [(index, output) for index, (_, output) in enumerate(results) if "after waiting" in output]
    assert len(waited) == 1, [output[-2000:] for _, output in results]
    index, output = waited[0]
    other = runs[1 - index]
    seen = lines_with(output, f"is held by {holder_of(other)} since")
    assert seen, output[-3000:]
    print(f"the second run saw: {seen[0]}")
    assert holder_now(lab) is None


def test_a_place_held_past_the_timeout_is_a_bench_fault_naming_the_holder(lab: LoopbackLab,
                                                                          tmp_path: Path) -> None:
    held = acquire_place(settings_of(lab.profiles[0]), identity=run_identity())  # this process: alive
    try:
        code, output = finish(start_run(variant(lab, tmp_path, acquire_timeout_s=2), tmp_path))
    finally:
        held.release()
    assert code == 3, output[-3000:]
    line = lines_with(output, "bench fault: place bench-1 is held by")
    assert line and f"held by {held.coordinator.holder} since" in line[0], output[-3000:]
    # The wait is measured: at least the timeout, plus at most the last coordinator query (a labgrid-client call).
    waited = re.search(r"waited (\d+) s \(acquire_timeout_s = 2\)", line[0])
    assert waited and 2 <= int(waited.group(1)) <= 2 + QUERY_SLACK_S, line[0]
    assert "passed" not in output
    print(f"the second run saw: {line[0]}")


ENDINGS = [
    # (the signal, the run's exit code, whether the run released the place itself)
    (signal.SIGINT, 2, True),     # Ctrl-C (SIGTERM too once fixtures/interrupts.py is set up): pytest unconfigures
    (signal.SIGKILL, -9, False),  # nothing runs: the next run finds the holder gone and takes the place
]


@pytest.mark.parametrize(("signum", "code", "released"), ENDINGS, ids=["ctrl-c", "sigkill"])
def test_an_interrupted_or_killed_runs_place_is_released_or_taken(lab: LoopbackLab, tmp_path: Path,
                                                                  signum: int, code: int, released: bool) -> None:
    killed = start_run(lab.profiles[0], tmp_path / "killed", LONGER_SELECTION)
    holder, deadline, seen = holder_of(killed), time.monotonic() + WAIT_S, None
    try:
        while seen != holder:
            assert killed.poll() is None, f"the run ended before the signal: {killed.communicate()[0][-2000:]}"
            assert time.monotonic() < deadline, f"waited {WAIT_S:.0f} s for {holder} to hold bench-1; last seen {seen}"
            seen = holder_now(lab)
        killed.send_signal(signum)
        found, output = finish(killed)
    finally:
        if killed.poll() is None:
            killed.kill()
            killed.communicate(timeout=RUN_TIMEOUT_S)
    assert found == code, output[-3000:]
    assert holder_now(lab) == (None if released else holder), output[-3000:]
    if released:
        assert lines_with(output, "labgrid: released place bench-1"), output[-3000:]
        return
    code, output = finish(start_run(lab.profiles[0], tmp_path / "next"))
    assert code == 0, output[-3000:]
    line = lines_with(output, f"was held by {holder} since")
    assert line and "released it (--kick)" in line[0], output[-3000:]
    print(f"the next run said: {line[0]}")
    assert holder_now(lab) is None


def test_no_coordinator_is_a_bench_fault_in_one_line_before_any_test(lab: LoopbackLab, tmp_path: Path) -> None:
    """Exit 3, not 4: the profile is valid, the lab's service did not answer (as a charger that does not)."""
    code, output = finish(start_run(variant(lab, tmp_path, coordinator=f"127.0.0.1:{free_port()}"), tmp_path))
    assert code == 3, output[-3000:]
    assert len(lines_with(output, "bench fault: no labgrid coordinator answers at 127.0.0.1:")) == 1, output[-3000:]
    assert not re.search(r"\d+ (passed|failed)", output), output[-3000:]


def test_a_place_the_coordinator_does_not_have_is_a_usage_error(lab: LoopbackLab) -> None:
    """Exit 4: the coordinator answers and has no such place: the profile names the wrong one."""
    settings = dataclasses.replace(settings_of(lab.profiles[0]), place="bench-9")
    with pytest.raises(PlaceError, match="labgrid place 'bench-9' not found on coordinator") as raised:
        acquire_place(settings)
    assert raised.value.exit_code == 4


EXAMPLE = PROJECT_ROOT / "benches" / "labgrid-example"


def published(resource: dict[str, Any], host: str) -> dict[str, Any]:
    """A resource as labgrid-exporter publishes it: a local serial port becomes a NetworkSerialPort served by
    ser2net (rfc2217, labgrid's default protocol); the others as written (remote/exporter.py)."""
    params = {key: value for key, value in resource.items() if key not in ("cls", "match")}
    if resource["cls"] in ("USBSerialPort", "RawSerialPort"):
        return {"cls": "NetworkSerialPort", "params": {"host": host, "port": 3001, "speed": params.get("speed")}}
    return {"cls": resource["cls"], "params": params}


def test_the_example_bench_takes_every_address_from_its_exporter() -> None:
    """benches/labgrid-example: each `labgrid =` name is a resource of the exporter's group, of a class that
    gives the address its adapter needs."""
    exporter = yaml.safe_load((EXAMPLE / "exporter.yaml").read_text())
    profile = load_profile(EXAMPLE / "bench.toml")
    (group, resources), = exporter.items()
    state = PlaceState(profile.raw["labgrid"]["place"], None, "",
                       {name: published(resource, "bench-host-1") for name, resource in resources.items()})
    raw = filled_raw(profile.raw, state)
    assert raw["charger"]["url"] == "http://192.0.2.10"
    addresses = {name: table.get("url", table.get("resource")) for name, table in raw["resources"].items()}
    assert addresses == {
        "ev_board": "rfc2217://bench-host-1:3001", "ac_load": "TCPIP::192.0.2.30::INSTR",
        "calibrator": "TCPIP::192.0.2.31::gpib0,4::INSTR", "analyzer": "TCPIP::192.0.2.20::INSTR",
        "ac_source": "TCPIP::192.0.2.40::INSTR", "relay_box": "TCPIP::192.0.2.41::INSTR",
        "chamber": "socket://192.0.2.42:4001"}
    script = (EXAMPLE / "setup-place.sh").read_text()  # the place it makes matches the exporter's group
    assert f"group=${{3:-{group}}}" in script and f"place=${{1:-{state.name}}}" in script
