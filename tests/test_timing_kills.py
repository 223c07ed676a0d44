"""With no instrument timer, the near-limit timing defects are still killed wherever the margin exceeds
what the bench resolves (tests/mutation/timing_kills.py; the whole list: `make timing-kills`)."""
from __future__ import annotations

import re

import pytest

from tests.mutation.timing_kills import hunt, table

pytestmark = pytest.mark.mutation
CI_DEFECTS = ("contactor_open_120ms", "fault_open_120ms", "state_f_shown_0_2s", "slow_contactor_close_3_2s")


def test_near_limit_timing_defects_are_killed_on_a_bench_with_no_timer() -> None:
    kills = [hunt(name, "benches/virtual-no-timers.toml") for name in CI_DEFECTS]
    print("\n" + table(kills, "benches/virtual-no-timers.toml"))
    for kill in kills:
        if kill.verdict == "killed":
            continue
        assert kill.verdict == "inconclusive", f"{kill.defect}: {kill.verdict} ({kill.test}: {kill.measured})"
        uncertainty = float(re.search(r"± ([\d.]+)", kill.measured).group(1))  # type: ignore[union-attr]
        # Inconclusive is right only where the bracket (2 × uncertainty) is wider than the margin.
        assert kill.margin <= 2 * uncertainty, f"{kill.defect}: margin {kill.margin} s > bracket {2 * uncertainty} s"
