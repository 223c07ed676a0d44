"""The lab timing's arithmetic (lab/timing.py): speed-up = N x T1 / TN, and the goal of 0.9 x N."""
from __future__ import annotations

from pathlib import Path

from lab.timing import TimedRun, speed_up, table, write_inventory


def run(benches: int, wall_s: float) -> TimedRun:
    return TimedRun(benches, wall_s, 5.0, 0, {f"bench-{i}": {"passed": 19} for i in range(1, benches + 1)})


def test_speed_up_is_the_throughput_of_n_benches_against_one() -> None:
    single = run(1, 60.0)
    assert speed_up(run(4, 60.0), single) == 4.0
    assert speed_up(run(4, 120.0), single) == 2.0


def test_the_table_says_where_the_goal_is_not_met() -> None:
    text = table([run(1, 60.0), run(2, 62.0), run(4, 80.0)])
    rows = text.splitlines()[2:]
    assert rows[1].endswith("| 1.94 | met |") and rows[2].endswith("| 3.00 | NOT met |"), text
    assert "| 4 | 80.0 | 5.0 | 76 | 76 | 0 |" in rows[2]


def test_the_inventory_names_each_place_profile(tmp_path: Path) -> None:
    path = write_inventory(tmp_path / "inv.toml", [Path("/a.toml"), Path("/b.toml")])
    assert path.read_text().count("[[bench]]") == 2 and 'name = "bench-2"\nprofile = "/b.toml"' in path.read_text()
