"""Boundary pairs: each limit, a defect just outside it (must be killed), the correct charger just inside
(must pass).

A catalogue entry with ``Defect.limit`` sits just outside that limit of benches/default-limits.toml
(3.2 s against 3 s); the correct virtual charger started with ``--near-limit`` sits just inside every
limit (2.8 s).  The pair holds when the test that killed the outside defect *passed* in the
near-limit run: the same test tells the two apart, so the suites catch a charger just out of
tolerance and pass one just inside, on purpose rather than by luck.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass

from tests.mutation.runner import PROJECT_ROOT, SuiteRun, Verdict

LIMITS_FILE = PROJECT_ROOT / "benches" / "default-limits.toml"


@dataclass(frozen=True)
class BoundaryPair:
    limit: str
    defect: str
    killed_by: str | None      # the test that caught the defect just outside
    outside_status: str        # the defect's verdict (killed / SURVIVED / harness problem ...)
    inside: str | None         # that test's verdict class in the near-limit run (None: not run there)

    @property
    def holds(self) -> bool:
        return self.killed_by is not None and self.inside == "passed"


def limits() -> dict[str, dict[str, object]]:
    try:
        return dict(tomllib.loads(LIMITS_FILE.read_text()).get("limits", {}))
    except (OSError, tomllib.TOMLDecodeError):
        return {}


def boundary_pairs(verdicts: list[Verdict], near: SuiteRun) -> list[BoundaryPair]:
    pairs = []
    for verdict in verdicts:
        if verdict.defect.limit is None:
            continue
        killer = verdict.killed_by[0] if verdict.killed_by else None
        pairs.append(BoundaryPair(verdict.defect.limit, verdict.defect.name, killer, verdict.status,
                                  near.verdict_of(killer) if killer else None))
    return sorted(pairs, key=lambda p: (p.limit, p.defect))


def _limit_text(name: str, known: dict[str, dict[str, object]]) -> str:
    entry = known.get(name)
    if not isinstance(entry, dict):
        return f"{name} (not in default-limits.toml)"
    return f"{name} = {entry.get('value')} {entry.get('unit', '')}".rstrip()


def boundary_table(pairs: list[BoundaryPair], near: SuiteRun) -> str:
    known = limits()
    near_verdict = ("passed" if near.exit_code == 0 and not near.red
                    else f"FAILED (exit {near.exit_code}, {len(near.red)} red)")
    holding = sum(1 for p in pairs if p.holds)
    lines = [f"Boundary pairs: {holding}/{len(pairs)} hold.  Correct charger just inside every limit "
             f"(`pytest {' '.join(near.paths)} {' '.join(near.options)}`): {near.passed} passed, "
             f"{near.skipped} skipped, {len(near.red)} red -> {near_verdict}", "",
             "| limit | defect just outside | killed by | correct just inside (same test, --near-limit) |",
             "|---|---|---|---|"]
    for p in pairs:
        killed = p.killed_by or f"- ({p.outside_status})"
        inside = p.inside or "not run in the near-limit run"
        lines.append(f"| {_limit_text(p.limit, known)} | {p.defect} | {killed} | {inside} |")
    if not pairs:
        lines.append("| - | no catalogue entry has `Defect.limit` set yet | - | - |")
    return "\n".join(lines)
