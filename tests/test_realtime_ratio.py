"""At time scale 1.0 the state and PWM suites spend their time waiting on the charger, not on overhead.

The virtual charger records every delayed reaction it makes (contactor close/open, PWM update,
pause grace time…) in a ledger written when the bench stops.  The suites are run at real time and
their wall time (the tests' own durations) is compared with the sum of those delays: the target
is at most 1.2x.  Both figures are printed for the record.
"""
from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SUITES = ("suites/bench/test_states.py", "suites/bench/test_pwm_mapping.py")
TARGET_RATIO = 1.2

pytestmark = pytest.mark.realtime


def test_state_and_pwm_suites_at_time_scale_1_wait_on_the_charger(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    basetemp = tmp_path / "run"
    run = subprocess.run([sys.executable, "-m", "pytest", *SUITES, "--time-scale", "1", "-q", "-p", "no:cacheprovider",
                          "-m", "not destructive", f"--basetemp={basetemp}", f"--junitxml={junit}",
                          f"--alluredir={tmp_path / 'allure'}"], cwd=PROJECT_ROOT, capture_output=True,
                         text=True, timeout=1800)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-1000:]
    wall = sum(float(case.get("time", 0)) for case in ET.parse(junit).getroot().iter("testcase"))
    ledgers = list(basetemp.glob("bench-state*/ledger.json"))
    assert ledgers, f"the virtual bench wrote no ledger under {basetemp}"
    reactions = json.loads(ledgers[0].read_text())
    delays = sum(r["applied_at"] - r["caused_at"] for r in reactions)
    ratio = wall / delays if delays else float("inf")
    print(f"\nstate+PWM suites at time scale 1.0: wall {wall:.1f} s (tests' durations), "
          f"charger's own response delays {delays:.1f} s over {len(reactions)} reactions, ratio {ratio:.2f}")
    assert ratio <= TARGET_RATIO, f"wall {wall:.1f} s is {ratio:.2f}x the charger's delays {delays:.1f} s"
