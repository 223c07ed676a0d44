"""Many benches in one run: ``--inventory`` gives one pytest-xdist worker per bench (``--dist each``).

Why a subprocess: xdist workers are separate processes; only a real ``pytest -n`` run shows that each
bench's results reach one Allure dir with their own ``bench`` label and that JUnit carries the bench.
"""
from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RUN_TIMEOUT_S = 120.0


def _inventory(tmp_path: Path, profiles: list[Path]) -> Path:
    """An inventory file naming the given profiles bench-1..N."""
    text = "".join(f'[[bench]]\nname = "bench-{i}"\nprofile = "{p}"\n\n' for i, p in enumerate(profiles, 1))
    path = tmp_path / "inventory.toml"
    path.write_text(text)
    return path


def _run(tmp_path: Path, inventory: Path, selection: tuple[str, ...] = ("suites/bench/test_states.py", "-m", "states")
         ) -> subprocess.CompletedProcess[str]:
    """One inventory run of a small selection; the subprocess ends by itself or the timeout names it."""
    command = [sys.executable, "-m", "pytest", *selection, "-q", "-rs",
               "-p", "no:cacheprovider", "--inventory", str(inventory), "--time-scale", "20",
               f"--alluredir={tmp_path / 'allure'}", f"--junitxml={tmp_path / 'junit.xml'}"]
    try:
        return subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"inventory run did not end within {RUN_TIMEOUT_S} s; last output: {str(error.stdout)[-2000:]}")


def test_inventory_rejects_wrong_worker_count(tmp_path: Path) -> None:
    """``-n`` that does not match the inventory is a usage error (exit 4) in one line."""
    virtual = PROJECT_ROOT / "benches" / "virtual.toml"
    command = [sys.executable, "-m", "pytest", "suites/bench/test_states.py", "-n", "3",
               "--inventory", str(_inventory(tmp_path, [virtual, virtual]))]
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    assert result.returncode == 4
    assert "give -n 2" in result.stderr


def _summary(tmp_path: Path) -> dict[str, object]:
    return json.loads((tmp_path / "allure" / "verification-summary.json").read_text())


def _outcomes_by_bench(tmp_path: Path) -> dict[str, dict[str, int]]:
    """JUnit: per bench, how many test cases passed, failed (product), or were bench faults."""
    counts: dict[str, dict[str, int]] = {}
    for case in ET.parse(tmp_path / "junit.xml").iter("testcase"):
        props = {prop.get("name"): prop.get("value") for prop in case.iter("property")}
        red = case.find("failure") is not None or case.find("error") is not None
        outcome = (props.get("verdict_class") or "red") if red else ("skipped" if case.find("skipped") is not None
                                                                       else "passed")
        bench = counts.setdefault(str(props.get("bench")), {})
        bench[outcome] = bench.get(outcome, 0) + 1
    return counts


def _profile_copy(tmp_path: Path, name: str, edit: tuple[str, str]) -> Path:
    """benches/virtual.toml with one text edit (its relative paths still resolve from benches/)."""
    text = (PROJECT_ROOT / "benches" / "virtual.toml").read_text()
    assert edit[0] in text, edit
    path = PROJECT_ROOT / "benches" / f".test-{name}-{tmp_path.name}.toml"
    path.write_text(text.replace(*edit))
    return path


def test_an_unreachable_bench_is_bench_faults_and_the_other_bench_goes_on(tmp_path: Path) -> None:
    """bench-2's charger never answers: its tests are bench faults at once, bench-1 verifies, exit 3."""
    virtual = PROJECT_ROOT / "benches" / "virtual.toml"
    dead = tmp_path / "dead.toml"
    dead.write_text((PROJECT_ROOT / "benches" / "charger-only.toml").read_text()
                    .replace('url = "{charger_url}"', 'url = "http://127.0.0.1:9"'))
    result = _run(tmp_path, _inventory(tmp_path, [virtual, dead]),
                  ("suites/api/test_method_schemas.py", "-k", "Charger_info or Device_id"))
    assert result.returncode == 3, result.stdout[-3000:] + result.stderr[-2000:]
    by_bench = _outcomes_by_bench(tmp_path)
    assert set(by_bench["bench-1"]) <= {"passed", "skipped"} and by_bench["bench-1"].get("passed"), by_bench
    assert set(by_bench["bench-2"]) == {"bench"}, by_bench
    assert "bench bench-2: exit 3" in result.stdout and "bench bench-1: exit 0" in result.stdout, result.stdout[-3000:]
    summary = _summary(tmp_path)
    assert set(summary["benches"]) == {"bench-1", "bench-2"}, summary.keys()
    assert "## Bench bench-2 (exit 3)" in (tmp_path / "allure" / "verification-summary.md").read_text()


def test_a_bench_that_disappears_mid_run_stops_alone(tmp_path: Path) -> None:
    """bench-2's charger stops answering after its 45th request (refused for ever): the test that met it
    and every later one of bench-2 are bench faults, bench-1 runs to the end, the run's exit is 3."""
    virtual = PROJECT_ROOT / "benches" / "virtual.toml"
    dying = _profile_copy(tmp_path, "dying", ('"--state-dir", "{state_dir}"]',
                                              '"--state-dir", "{state_dir}", "--misbehave", "refused@45"]'))
    try:
        result = _run(tmp_path, _inventory(tmp_path, [virtual, dying]),
                      ("suites/bench/test_states.py", "-m", "states", "-k", "iec_transitions"))
    finally:
        dying.unlink()
    assert result.returncode == 3, result.stdout[-3000:] + result.stderr[-2000:]
    by_bench = _outcomes_by_bench(tmp_path)
    assert set(by_bench["bench-1"]) == {"passed"}, by_bench
    assert by_bench["bench-2"].get("bench", 0) >= 2 and "product" not in by_bench["bench-2"], by_bench
    assert by_bench["bench-2"].get("passed"), f"bench-2 should have passed its first tests: {by_bench}"
    assert "bench bench-2: exit 3" in result.stdout, result.stdout[-3000:]


def test_two_labgrid_places_run_the_api_and_bench_suites_at_once(tmp_path: Path) -> None:
    """A coordinator, an exporter per bench and two virtual benches on loopback (lab/loopback.py): one run,
    one worker per place, API and bench tests on both at once; each place acquired, then released."""
    from fixtures.labgrid_place import Coordinator, PlaceSettings, run_identity  # noqa: PLC0415
    from fixtures.profile import load_profile  # noqa: PLC0415
    from lab.loopback import LoopbackLab  # noqa: PLC0415

    with LoopbackLab(2, time_scale=20, tmp_dir=tmp_path / "lab") as lab:
        result = _run(tmp_path, _inventory(tmp_path, lab.profiles),
                      ("suites", "-m", "(methods and not destructive) or states", "-k", "Charger_info or iec_transitions"))
        holders = [Coordinator(PlaceSettings.of(load_profile(profile).raw), run_identity()).show().acquired
                   for profile in lab.profiles]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    labels: dict[str, set[str]] = {}
    for path in (tmp_path / "allure").glob("*-result.json"):
        data = json.loads(path.read_text())
        bench = {label["value"] for label in data["labels"] if label["name"] == "bench"}
        assert len(bench) == 1, f"{path.name}: bench labels {bench}"
        labels.setdefault(bench.pop(), set()).add(data["historyId"])
    assert set(labels) == {"bench-1", "bench-2"}, labels.keys()
    assert not labels["bench-1"] & labels["bench-2"], "same historyId on two benches: Allure would merge them"
    by_bench = _outcomes_by_bench(tmp_path)
    assert set(by_bench) == {"bench-1", "bench-2"}, by_bench
    assert by_bench["bench-1"] == by_bench["bench-2"] and set(by_bench["bench-1"]) == {"passed"}, by_bench
    assert holders == [None, None], f"places still held after the run: {holders}"
    assert "bench bench-1: exit 0" in result.stdout and "bench bench-2: exit 0" in result.stdout, result.stdout[-2000:]
    assert "## Bench bench-2 (exit 0)" in (tmp_path / "allure" / "verification-summary.md").read_text()
