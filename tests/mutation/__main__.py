"""``python -m tests.mutation [DEFECT ...]``: hunt defects and print the kill table."""
from __future__ import annotations

import argparse
import sys
import time

from tests.mutation.runner import hunt_all, kill_table


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation")
    parser.add_argument("defects", nargs="*", help="defect names (default: the whole catalogue)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    started = time.monotonic()
    verdicts = hunt_all(args.defects or None, workers=args.workers)
    print(kill_table(verdicts))
    print(f"\n{time.monotonic() - started:.0f} s wall")
    return 0 if all(v.status == "killed" for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
