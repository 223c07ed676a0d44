"""A lab of N virtual benches on loopback, reserved through a real labgrid coordinator.

Why: the labgrid path (acquire a place, take its resources' addresses, release) is proven here without a
lab: one ``labgrid-coordinator``, one ``labgrid-exporter`` per bench (as a lab has one per bench host),
and N ``python -m simulator`` benches, each with its own ports, published as places ``bench-1..N``.
Each place gets a bench profile with a ``[labgrid]`` table and the adapters and roles of
benches/virtual.toml, but no address: the run takes them from the place::

    with LoopbackLab(2, time_scale=20, tmp_dir=tmp_path) as lab:
        subprocess.run([..., "pytest", "--bench", str(lab.profiles[0]), ...])

Everything started is stopped on exit (terminate, then kill after a timeout), also after a failure.
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from fixtures.launcher import BenchService
from fixtures.profile import BENCHES_DIR
from lab.exporter_config import write_exporter_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = BENCHES_DIR / "virtual.toml"
CLIENT = [sys.executable, "-m", "labgrid.remote.client"]
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
_PLACEHOLDER = re.compile(r"^\{(\w+)\}$")


def free_port() -> int:
    """A free loopback port for the coordinator (labgrid-coordinator cannot listen on port 0 and say which)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LabError(RuntimeError):
    """The loopback lab did not come up (what was awaited, what was last seen)."""


class LoopbackLab:
    """Coordinator, exporters and simulators for ``n_benches`` places; ``profiles[i]`` is place ``bench-<i+1>``."""

    def __init__(self, n_benches: int, time_scale: float, tmp_dir: Path,
                 simulator_args: Sequence[str] = (), poll_s: float | None = None) -> None:
        self.n_benches, self.time_scale, self.tmp_dir = n_benches, time_scale, Path(tmp_dir)
        self.poll_s = poll_s  # device s between a wait's reads (None: virtual.toml's, paced for a loopback charger)
        self.simulator_args = list(simulator_args)
        self.coordinator = f"127.0.0.1:{free_port()}"
        self.places = [f"bench-{index}" for index in range(1, n_benches + 1)]
        self.profiles: list[Path] = []
        self.benches: list[BenchService] = []
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    # -------------------------------------------------------------- lifecycle

    def __enter__(self) -> LoopbackLab:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        self._spawn("coordinator", ["-m", "labgrid.remote.coordinator", "-l", self.coordinator], "coordinator")
        for place in self.places:  # the simulators start while the coordinator comes up
            state = self.tmp_dir / place / "state"
            state.mkdir(parents=True, exist_ok=True)
            self.benches.append(BenchService(
                [sys.executable, "-m", "simulator", "--port", "0", "--time-scale", str(self.time_scale),
                 "--state-dir", str(state), *self.simulator_args], cwd=PROJECT_ROOT, ready_timeout_s=START_TIMEOUT_S))
        self._await("the coordinator to answer", lambda: self.client("places").returncode == 0)
        template = tomllib.loads(TEMPLATE.read_text())
        for place, bench in zip(self.places, self.benches):
            addresses = self._addresses(template, bench.endpoints)
            config = write_exporter_config(self.tmp_dir / place / "exporter.yaml", {place: addresses})
            self._spawn(f"exporter-{place}", ["-m", "labgrid.remote.exporter", "-c", self.coordinator,
                                              "-n", f"exporter-{place}", "--hostname", "127.0.0.1", str(config)], place)
        for place, bench in zip(self.places, self.benches):
            names = self._addresses(template, bench.endpoints)
            self._await(f"exporter-{place} to publish {len(names)} resources",
                        lambda place=place, count=len(names): self._published(place) >= count)
            for step in (["create"], ["add-match", f"exporter-{place}/{place}/*"]):
                done = self.client("-p", place, *step)
                if done.returncode != 0:
                    raise LabError(f"labgrid-client -p {place} {' '.join(step)}: {done.stdout}{done.stderr}".strip())
            self.profiles.append(self._write_profile(template, place, bench.endpoints))

    def stop(self) -> None:
        """Exporters first (their places go unavailable), then the benches, then the coordinator."""
        for name in sorted(self.processes, key=lambda name: name == "coordinator"):
            process = self.processes[name]
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=STOP_TIMEOUT_S)
        for bench in self.benches:
            bench.stop(STOP_TIMEOUT_S)

    # -------------------------------------------------------------- helpers

    def client(self, *arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """One ``labgrid-client -x <this lab's coordinator> ...`` call."""
        return subprocess.run([*CLIENT, "-x", self.coordinator, *arguments], capture_output=True, text=True,
                              timeout=START_TIMEOUT_S, env={**os.environ, **(env or {})})

    def _spawn(self, name: str, arguments: list[str], directory: str) -> None:
        cwd = self.tmp_dir / directory  # the coordinator keeps places.yaml in its working directory
        cwd.mkdir(parents=True, exist_ok=True)
        log = (cwd / f"{name}.log").open("wb")
        self.processes[name] = subprocess.Popen([sys.executable, *arguments], cwd=cwd, stdout=log,
                                                stderr=subprocess.STDOUT)
        log.close()

    def _published(self, place: str) -> int:
        done = self.client("resources")
        return sum(1 for line in done.stdout.splitlines() if line.startswith(f"exporter-{place}/{place}/"))

    def _await(self, what: str, ready: Any) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not ready():
            dead = [name for name, process in self.processes.items() if process.poll() is not None]
            if dead or time.monotonic() > deadline:
                logs = {name: (self.tmp_dir / ("coordinator" if name == "coordinator" else name[9:]) / f"{name}.log")
                        for name in self.processes}
                last = {name: path.read_text(errors="replace")[-400:] for name, path in logs.items() if path.exists()}
                raise LabError(f"waited {START_TIMEOUT_S:.0f} s for {what}; exited: {dead or 'none'}; last seen: {last}")
            time.sleep(0.1)

    @staticmethod
    def _addresses(template: dict[str, Any], endpoints: dict[str, Any]) -> dict[str, str]:
        """Each resource of the template whose address is a ready-line placeholder, with its address."""
        found = {"charger": str(endpoints["charger_url"])}
        for name, table in template.get("resources", {}).items():
            for key in ("url", "resource"):
                match = _PLACEHOLDER.match(str(table.get(key, "")))
                if match:
                    found[name] = str(endpoints[match.group(1)])
        return found

    def _write_profile(self, template: dict[str, Any], place: str, endpoints: dict[str, Any]) -> Path:
        raw: dict[str, Any] = {"name": place, "allow_destructive": template.get("allow_destructive", False),
                               "labgrid": {"place": place, "coordinator": self.coordinator, "acquire_timeout_s": 60}}
        raw["timing"] = {**template.get("timing", {}), "time_scale": self.time_scale}
        if self.poll_s is not None:
            raw["timing"]["poll_s"] = self.poll_s
        raw["charger"] = {key: value for key, value in template["charger"].items() if key != "url"}
        raw["charger"]["labgrid"] = "charger"
        raw["resources"] = {}
        for name, table in template.get("resources", {}).items():
            table = dict(table)
            for key in ("url", "resource"):
                if _PLACEHOLDER.match(str(table.get(key, ""))):
                    del table[key]
                    table["labgrid"] = name
            raw["resources"][name] = table
        raw["roles"] = dict(template.get("roles", {}))
        # The calendar the bench declares on its ready line (a real bench would use reference = "host_utc").
        raw["clock"] = {"reference": "declared", "utc": str(endpoints["calendar_utc"]),
                        "at_unix": str(endpoints["calendar_unix"])}
        path = self.tmp_dir / place / f"{place}.toml"
        path.write_text(f"# A place of the loopback lab (lab/loopback.py); its addresses come from labgrid.\n"
                        f"{toml_text(raw)}")
        return path


def toml_text(raw: dict[str, Any]) -> str:
    """The subset of TOML a profile uses: top-level scalars, [tables], [resources.<name>] tables."""
    def value(item: Any) -> str:
        if isinstance(item, bool):
            return "true" if item else "false"
        if isinstance(item, (int, float)):
            return repr(item)
        if isinstance(item, list):
            return "[" + ", ".join(value(element) for element in item) + "]"
        return '"' + str(item).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [f"{key} = {value(item)}" for key, item in raw.items() if not isinstance(item, dict)]
    for name, table in raw.items():
        if not isinstance(table, dict):
            continue
        nested = {key: item for key, item in table.items() if isinstance(item, dict)}
        flat = [f"{key} = {value(item)}" for key, item in table.items() if key not in nested]
        if flat or not nested:
            lines += ["", f"[{name}]", *flat]
        for key, item in nested.items():
            lines += ["", f"[{name}.{key}]", *(f"{k} = {value(v)}" for k, v in item.items())]
    return "\n".join(lines) + "\n"
