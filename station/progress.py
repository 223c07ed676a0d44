"""What the operator sees while a unit is tested: one line per step, from the run's live events.

``[3/10] A → B → C at 10 A, contactor closing ... PASS (0.7 s)``: the line is begun when the step
starts (so a long step shows what the unit is doing) and completed when it ends.  Nothing of pytest's
own output reaches the operator; it goes to the log file beside the record.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO


def step_label(event: dict[str, Any]) -> str:
    index, total = event.get("index"), event.get("total")
    where = f"[{index}/{total}] " if index and total else ""
    return f"{where}{event.get('title') or event.get('step')}"


def outcome(event: dict[str, Any]) -> str:
    """``PASS (0.7 s)``, ``FAIL (1.2 s): PWM duty at 10 A = 17.27 % against [16.167, 17.167] %``."""
    verdict = event.get("verdict", "?")
    took = event.get("duration_s")
    text = verdict if took is None else f"{verdict} ({took:.1f} s)"
    value = event.get("value") or {}
    if verdict in ("FAIL", "ERROR"):
        detail = describe_check(value) if value.get("measurement") else event.get("message", "")
        text += f": {detail}" if detail else ""
    return text


def describe_check(failed: dict[str, Any]) -> str:
    """A failing check as the operator reads it: the measurement, its value and its limits."""
    value = failed.get("value")
    shown = f"{value:.4g}" if isinstance(value, float) else str(value)
    unit = f" {failed['unit']}" if failed.get("unit") else ""
    return f"{failed.get('measurement')} = {shown}{unit} against {failed.get('limits')}"


class Progress:
    """Turns events into the progress lines on ``out`` (one open line while a step runs)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.open_line = False
        self.warnings: list[str] = []

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "step_start":
            self._close()
            self.out.write(f"{step_label(event)} ... ")
            self.open_line = True
        elif kind == "step_end":
            if not self.open_line:
                self.out.write(f"{step_label(event)} ... ")
            self.out.write(outcome(event) + "\n")
            self.open_line = False
        elif kind == "warning":
            self._close()
            self.warnings.append(event.get("message", ""))
            self.out.write(f"WARNING: {event.get('message', '')}\n")
        self.out.flush()

    def _close(self) -> None:
        if self.open_line:
            self.out.write("\n")
            self.open_line = False


class EventTail:
    """Reads the JSON lines appended to the events file since the last call (a partial last line waits)."""

    def __init__(self, path: Path, handle: Callable[[dict[str, Any]], None]) -> None:
        self.path, self.handle = path, handle
        self.offset = 0
        self.done: dict[str, Any] | None = None

    def poll(self) -> None:
        if not self.path.exists():
            return
        with self.path.open("rb") as source:
            source.seek(self.offset)
            chunk = source.read()
        complete = chunk[:chunk.rfind(b"\n") + 1]
        self.offset += len(complete)
        for line in complete.decode("utf-8").splitlines():
            if not line.strip():
                continue
            event = json.loads(line)
            if event.get("event") == "done":
                self.done = event
            self.handle(event)
