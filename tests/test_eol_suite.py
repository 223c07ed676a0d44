"""The EOL sequence (suites/eol) on the virtual bench at time scale 20: a correct unit passes every step, and
a catalogued defect fails at the step that must catch it, as a product verdict (never a bench fault).

The two demonstration defects are caught at two different steps: ``rcd_ac_threshold_32ma`` (30 mA AC never
trips: the AC RCD step, IEC 61008-1 1 × IΔn) here, and ``duty_offset_0_6pct`` (CP duty 0.6 % above IEC 61851-1
Annex A: the PWM step, against ±0.5 %) in tests/test_station_cli.py, through the operator's command, which
runs this same pytest run underneath: four runs in all, two at a time (one per core), for CI's budget.  Each
run is a subprocess with its own virtual bench; the unit record it writes is checked against the records'
contract (records.schema.validate), so what the station stores is what the sequence found.

Below them, fast checks of the pieces the sequence stands on: the production order, the unit record,
the calibration due dates, the events file.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from records.schema import validate
from rig.binding import BindingError, check_bindings
from station.order import OrderError, load_order
from station.record import EventLog, UnitRecord, instruments
from suites.eol.test_eol import STEPS
from tests.mutation.runner import SuiteRun, run_suites

EOL_BENCH = "benches/virtual-eol.toml"
CAUGHT_AT = {"rcd_ac_threshold_32ma": "rcd_ac"}
"""Each defect run here and the step that must fail it (the defect catalogue: simulator/defects.py)."""
RUNS: dict[str, tuple[str, ...]] = {"correct": (), **{defect: (defect,) for defect in CAUGHT_AT}}
SERIAL = "500321"


def _run(name: str, defects: tuple[str, ...], record: Path) -> tuple[SuiteRun, dict[str, Any]]:
    run = run_suites(("suites/eol",), defects=defects,
                     extra=("--profile", "eol", "--bench", EOL_BENCH, "--serial", SERIAL, "--time-scale", "20",
                            "--eol-record", str(record)))
    assert record.exists(), f"{name}: no unit record written (exit {run.exit_code}):\n{run.tail}"
    return run, json.loads(record.read_text())


@pytest.fixture(scope="module")
def eol_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Future[tuple[SuiteRun, dict[str, Any]]]]]:
    where = tmp_path_factory.mktemp("eol-runs")
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield {name: pool.submit(_run, name, defects, where / f"{name}.json") for name, defects in RUNS.items()}


def test_a_correct_unit_passes_every_step(eol_runs: dict[str, Future[tuple[SuiteRun, dict[str, Any]]]]) -> None:
    run, record = eol_runs["correct"].result()
    assert run.exit_code == 0 and [c.verdict_class for c in run.cases] == ["passed"], run.tail
    validate(record)
    assert record["verdict"] == "PASS" and record["failed_step"] is None
    assert [(s["step"], s["verdict"]) for s in record["steps"]] == [(s.name, "PASS") for s in STEPS]
    assert record["serial"] == SERIAL and record["identity"]["device_id"] == f"1p7k_{SERIAL}"
    names = {m["name"] for m in record["measurements"]}
    for wanted in ("contactor closing time B → C", "contactor opening time C → B", "PWM duty at 10 A",
                   "PWM duty at 16 A", "RCD trip time at DC 6 mA", "RCD trip time at AC 30 mA", "EOL sequence time"):
        assert wanted in names, f"{wanted!r} not measured: {sorted(names)}"
    assert any(n.startswith("meter current at 16 A") for n in names), sorted(names)
    assert all(m["verdict"] == "PASS" and m["origin"] for m in record["measurements"])
    assert {i["name"] for i in record["instruments"]} == {"ev_box", "analyzer"}
    assert all(i["idn"] and i["calibration_due"] for i in record["instruments"])


@pytest.mark.parametrize("defect", sorted(CAUGHT_AT))
def test_a_defective_unit_fails_at_the_step_that_catches_it(
        eol_runs: dict[str, Future[tuple[SuiteRun, dict[str, Any]]]], defect: str) -> None:
    run, record = eol_runs[defect].result()
    assert run.exit_code == 1, run.tail
    assert [c.verdict_class for c in run.cases] == ["product"], f"{defect}: not a product verdict: {run.cases}"
    validate(record)
    step = CAUGHT_AT[defect]
    assert record["verdict"] == "FAIL" and record["failed_step"]["step"] == step, record["failed_step"]
    failed = record["failed_step"]
    assert failed["measurement"] and failed["limits"] and failed["value"] is not None, failed
    verdicts = {s["step"]: s["verdict"] for s in record["steps"]}
    order = [s.name for s in STEPS]
    assert all(verdicts[name] == "PASS" for name in order[:order.index(step)]), verdicts
    assert all(verdicts[name] == "SKIPPED" for name in order[order.index(step) + 1:]), verdicts


# --- the pieces --------------------------------------------------------------------------------------------
def test_the_example_order_holds_the_spec_defaults_and_refuses_a_wrong_scan() -> None:
    order = load_order()
    assert order.board_revision and order.firmware and order.factory_defaults
    assert all(d.origin.startswith("spec ch.") for d in order.factory_defaults), \
        [d.origin for d in order.factory_defaults if not d.origin.startswith("spec ch.")]
    order.check_serial("500123")
    for wrong in ("400001", "50012", "5001234", "ABCDEF", ""):
        with pytest.raises(OrderError):
            order.check_serial(wrong)


@pytest.mark.parametrize(("text", "complaint"), [
    ('id = "X"\nfirmware = "1"\n', "board_revision"),
    ('id = "X"\nboard_revision = "E"\nfirmware = "1"\nfirmwre = "2"\n', "unknown key 'firmwre'"),
    ('id = "X"\nboard_revision = "E"\nfirmware = "1"\n[factory_defaults.app]\ninstall_current = "6"\n', "type integer"),
    ('id = "X"\nboard_revision = "E"\nfirmware = "1"\n[factory_defaults.app]\nrcd_enabled = true\n', "not a spec chapter 4"),
    ('id = "X"\nboard_revision = "E"\nfirmware = "1"\nserial_range = [9, 1]\n', "serial_range"),
])
def test_a_malformed_order_is_refused_naming_the_key(tmp_path: Path, text: str, complaint: str) -> None:
    path = tmp_path / "order.toml"
    path.write_text(text)
    with pytest.raises(OrderError, match=complaint):
        load_order(path)


def test_a_calibration_past_due_is_overdue_and_a_bad_date_is_a_usage_error() -> None:
    found = instruments({"a": {"adapter": "wt300e", "calibration_due": "2026-01-31"},
                         "b": {"adapter": "ascii", "calibration_due": dt.date(2027, 1, 1)}, "c": {"adapter": "ascii"}},
                        {"a": "YOKOGAWA,WT310E,1,F1"}, today=dt.date(2026, 12, 2))
    assert [(i.name, i.overdue) for i in found] == [("a", True), ("b", False), ("c", False)]
    assert "2026-01-31" in (found[0].warning or "") and found[1].warning is None
    profile = {"resources": {"x": {"adapter": "wt300e", "resource": "TCPIP::h::INSTR", "calibration_due": "31.01.2027"}}}
    with pytest.raises(BindingError, match="calibration_due"):
        check_bindings(profile)
    profile["resources"]["x"]["calibration_due"] = "2027-01-31"
    check_bindings(profile)


def test_an_error_record_without_steps_meets_the_contract(tmp_path: Path) -> None:
    record = UnitRecord("500123", {"id": "PO-1"}, "line1", "jdoe", "virtual-eol", 1.0, verdict="ERROR",
                        message="bench fault: no reply")
    record.finished_utc, record.duration_s = record.started_utc, 0.0
    record.write(tmp_path / "r.json")
    stored = validate(json.loads((tmp_path / "r.json").read_text()))
    assert stored["failed_step"] == {"step": None, "measurement": None, "value": None, "unit": "", "limits": None,
                                     "message": "bench fault: no reply"}


def test_events_are_json_lines_flushed_as_they_happen(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events.jsonl")
    log.emit("step_start", step="identity", t_s=0.1)
    assert json.loads((tmp_path / "events.jsonl").read_text()) == {"event": "step_start", "step": "identity", "t_s": 0.1}
    log.close()
