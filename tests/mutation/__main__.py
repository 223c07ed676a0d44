"""``python -m tests.mutation [DEFECT ...]``: the baseline, then the hunts, the kill table and the boundary pairs.

The baseline (every suite on the correct charger) runs first: only its passing tests can kill.  The
near-limit run (the bench suites on a correct charger just inside every limit) gives the inside
half of each boundary pair.  Exit 0 only when every defect is killed and every pair holds.
"""
from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from tests.mutation.boundary import boundary_pairs, boundary_table
from tests.mutation.runner import PROJECT_ROOT, baseline_run, hunt_all, kill_table, near_limit_run


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation")
    parser.add_argument("defects", nargs="*", help="defect names (default: the whole catalogue)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=2) as pool:  # the two runs on the correct charger, side by side
        baseline_future, near_future = pool.submit(baseline_run), pool.submit(near_limit_run)
        baseline, near = baseline_future.result(), near_future.result()
    print(f"baseline (correct charger, every suite): {baseline.passed} passed, {baseline.skipped} skipped, "
          f"{len(baseline.red)} red in {baseline.seconds:.0f} s")
    if baseline.exit_code != 0 or baseline.red:
        print("the correct charger does not pass, so no hunt can be judged; red: "
              + ", ".join(f"{c.key} ({c.verdict_class})" for c in baseline.red) + "\n" + baseline.tail)
        return 1
    verdicts = hunt_all(baseline.passing, args.defects or None, workers=args.workers)
    table = kill_table(verdicts)
    pairs = boundary_pairs(verdicts, near)
    pair_table = boundary_table(pairs, near)
    out = PROJECT_ROOT / "reports" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "kill-table.md").write_text(table + "\n")
    (out / "boundary-pairs.md").write_text(pair_table + "\n")
    print(table + "\n\n" + pair_table)
    print(f"\n{time.monotonic() - started:.0f} s wall")
    near_ok = near.exit_code == 0 and not near.red
    return 0 if all(v.status == "killed" for v in verdicts) and all(p.holds for p in pairs) and near_ok else 1


if __name__ == "__main__":
    sys.exit(main())
