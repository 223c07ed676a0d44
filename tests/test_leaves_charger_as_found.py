"""The README's charger-only recipe runs green on a freshly started `python -m simulator`, twice in a row,
and leaves the charger as it found it.

The two command lines are read from the README ("Running against other benches") and run as written:
the simulator with no provisioning (a factory-fresh unit: connected_phase 0, NULL strings), then the
suites with `--charger-url` (a charger-only bench: instrument tests skip with a reason).  Only the port
is replaced by a free one, so the test cannot collide with a charger already on 8080.  Everything
readable is captured before and after each run: a run changes nothing it does not report (a fresh
unit may refuse to take back its own connected_phase 0: the run says so), and the second run must find
the charger exactly as the first left it.
"""
from __future__ import annotations

import asyncio
import os
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from fixtures.launcher import BenchService
from instruments.charger_rpc import ChargerClient

PROJECT_ROOT = Path(__file__).resolve().parent.parent
README = (PROJECT_ROOT / "README.md").read_text()
READERS = ("App_config.Get", "Charger_config.Get", "Charging_schedule.Get", "Dynamic_current.Get",
           "Device_info.Get", "Device_id.Get", "Board_revision.Get")
README_PORT = "8080"


def recipe() -> tuple[list[str], list[str]]:
    """The README's two lines: the simulator command (without '&') and the pytest command."""
    section = re.search(r"^## Running against other benches\n(.*?)(?=^## )", README, re.S | re.M)
    assert section, "README has no 'Running against other benches' section"
    block = re.search(r"```sh\n(python -m simulator[^\n]*)\n([^\n]*pytest --charger-url[^\n]*)\n```",
                      section.group(1))
    assert block, "the section's sh block must hold the simulator line, then the pytest --charger-url line"
    simulator = shlex.split(block.group(1).rstrip("& "))
    return simulator, shlex.split(block.group(2))


def free_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


def as_run(words: list[str], port: str) -> tuple[list[str], dict[str, str]]:
    """A README line as a subprocess: leading VAR=value words become the environment, the tools this venv's."""
    env = {**os.environ}
    while "=" in words[0] and not words[0].startswith("-"):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    tool, *args = [w.replace(README_PORT, port) for w in words]
    command = {"python": [sys.executable], "pytest": [sys.executable, "-m", "pytest"]}[tool]
    return command + args, env


async def configuration(url: str) -> dict[str, Any]:
    async with ChargerClient(url) as client:
        state = {method: await client.call(method) for method in READERS}
        state["pin 1234 accepted"] = await client.call("Pin.Check", {"pin": "1234"})
        return state


def changed_keys(before: dict[str, Any], after: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """What differs, key by key inside each reader's answer (a fresh unit's connected_phase 0, which it
    may refuse to take back, may be left changed: the run must then report it)."""
    changed = {}
    for method in before:
        old, new = before[method], after[method]
        if isinstance(old, dict) and isinstance(new, dict):
            changed.update({key: (old.get(key), new.get(key)) for key in old.keys() | new.keys()
                            if old.get(key) != new.get(key)})
        elif old != new:
            changed[method] = (old, new)
    return changed


def test_charger_only_recipe_passes_twice_on_a_fresh_simulator_and_leaves_it_as_found(tmp_path: Path) -> None:
    simulator_words, pytest_words = recipe()
    assert "--provision" not in simulator_words, "the recipe must start a charger as it leaves the factory"
    port = free_port()
    command, _ = as_run(simulator_words, port)
    service = BenchService(command, cwd=PROJECT_ROOT, ready_timeout_s=30)  # no --state-dir: a fresh flash
    try:
        url = service.endpoints["charger_url"]
        before = asyncio.run(configuration(url))
        for attempt in (1, 2):
            run_command, env = as_run(list(pytest_words), port)
            run = subprocess.run([*run_command, "-q", "-rs", "-p", "no:cacheprovider",
                                  f"--alluredir={tmp_path / f'allure-{attempt}'}"],
                                 cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
            summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-500:]
            print(f"charger-only run {attempt} against a fresh python -m simulator: {summary}")
            assert run.returncode == 0, f"run {attempt}: " + run.stdout[-4000:] + run.stderr[-2000:]
            assert "bench lacks" in run.stdout, "instrument tests must be skipped with the reason"
            after = asyncio.run(configuration(url))
            unreported = {key: change for key, change in changed_keys(before, after).items()
                          if not re.search(rf"left changed[^\n]*\b{key}\b", run.stdout)}
            assert not unreported, f"run {attempt} left the charger changed without saying so: {unreported}"
            before = after  # the second run must find the charger as the first left it
    finally:
        service.stop()
