"""A conformance run leaves the charger as it found it, and runs green against `python -m simulator`.

The virtual charger is started on its own, as a user would (`python -m simulator --port 0`), and
the API suites run against it with `--charger-url` (a charger-only bench: instrument tests skip
with a reason).  Everything readable is captured before and after: the run must change nothing.
"""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from instruments.charger_rpc import ChargerClient

PROJECT_ROOT = Path(__file__).resolve().parent.parent
READERS = ("App_config.Get", "Charger_config.Get", "Charging_schedule.Get", "Dynamic_current.Get",
           "Device_info.Get", "Device_id.Get", "Board_revision.Get")


async def configuration(url: str) -> dict[str, Any]:
    async with ChargerClient(url) as client:
        state = {method: await client.call(method) for method in READERS}
        state["pin 1234 accepted"] = await client.call("Pin.Check", {"pin": "1234"})
        return state


def test_api_suites_pass_on_a_charger_only_bench_and_leave_it_as_found(virtual_charger: dict[str, str],
                                                                        tmp_path: Path) -> None:
    url = virtual_charger["charger_url"]
    before = asyncio.run(configuration(url))
    env = {**os.environ, "LEKTRICO_PIN": "1234", "LEKTRICO_AP_PASSWORD": ""}
    run = subprocess.run([sys.executable, "-m", "pytest", "suites", "--charger-url", url, "--time-scale", "20",
                          "-q", "-rs", "-p", "no:cacheprovider", f"--alluredir={tmp_path / 'allure'}"],
                         cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-500:]
    print(f"charger-only run against python -m simulator: {summary}")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "charger-only bench lacks" in run.stdout, "instrument tests must be skipped with the reason"
    after = asyncio.run(configuration(url))
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    assert not changed, f"the run left the charger changed: {changed}"
