"""How many RPC exchanges each test costs, and how many of them the harness spent (snapshot/restore).

On a real charger on Wi-Fi every exchange costs tens to hundreds of milliseconds, so exchanges per
test is the figure that decides how long a run takes.  The tally sees every exchange of every client
(through :data:`instruments.charger_rpc.exchange.OBSERVERS`); the pytest hooks tell it which test
and phase is running, and :func:`counted_as` marks the harness's own exchanges.
"""
from __future__ import annotations

import contextlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from instruments.charger_rpc.exchange import Exchange

OUTSIDE = "<outside a test>"
_purpose: ContextVar[str] = ContextVar("exchange_purpose", default="test")


@contextlib.contextmanager
def counted_as(purpose: str) -> Iterator[None]:
    """Count the exchanges made inside the block as ``purpose`` (e.g. ``"snapshot"``)."""
    token = _purpose.set(purpose)
    try:
        yield
    finally:
        _purpose.reset(token)


class ExchangeTally:
    """Exchanges per test, per phase (setup / call / teardown) and per purpose."""

    def __init__(self) -> None:
        self.test = OUTSIDE
        self.phase = "session"
        self.tests: list[str] = []
        self.counts: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)

    def start_test(self, nodeid: str) -> None:
        self.test = nodeid
        self.tests.append(nodeid)

    def end_test(self) -> None:
        self.test, self.phase = OUTSIDE, "session"

    def observe(self, _exchange: Exchange) -> None:
        self.counts[self.test][(self.phase, _purpose.get())] += 1

    @property
    def total(self) -> int:
        return sum(sum(c.values()) for c in self.counts.values())

    def summary(self) -> dict[str, Any]:
        tests = max(1, len(self.tests))
        by_phase: Counter[str] = Counter()
        by_purpose: Counter[str] = Counter()
        modules: dict[str, Counter[str]] = defaultdict(Counter)
        for nodeid in self.tests:
            modules[nodeid.split("::")[0]]["tests"] += 1
        for nodeid, counts in self.counts.items():
            for (phase, purpose), n in counts.items():
                by_phase[phase] += n
                by_purpose[purpose] += n
                modules[nodeid.split("::")[0]]["exchanges"] += n
        per_test = {nodeid: sum(c.values()) for nodeid, c in self.counts.items() if nodeid != OUTSIDE}
        busiest = sorted(per_test.items(), key=lambda item: -item[1])[:10]
        return {
            "tests": len(self.tests), "exchanges": self.total,
            "exchanges_per_test": round(self.total / tests, 2),
            "harness_per_test": round((self.total - by_purpose["test"]) / tests, 2),
            "by_phase": dict(by_phase), "by_purpose": dict(by_purpose),
            "by_module": {m: dict(c) for m, c in sorted(modules.items())},
            "busiest_tests": dict(busiest),
            "by_test": {nodeid: dict(sum((Counter({purpose: n}) for (_, purpose), n in self.counts[nodeid].items()),
                                         Counter())) for nodeid in self.tests},
        }

    def line(self) -> str:
        s = self.summary()
        return (f"{s['exchanges']} RPC exchanges for {s['tests']} tests: {s['exchanges_per_test']} per test "
                f"({s['harness_per_test']} of them the harness's own: {s['by_purpose']})")

    def write(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "exchanges.json"
        path.write_text(json.dumps(self.summary(), indent=1) + "\n")
        return path
