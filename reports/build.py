"""``python -m reports.build RESULTS OUT``: turn Allure results into the HTML report (Allure 3, Node).

The results hold one run only (pytest cleans them at the start of each run); the trends come from
Allure 3's history file, ``reports/out/allure-history.jsonl`` (``historyPath`` in allurerc.mjs), which
each build reads and then extends by this run.  The run's verification summary (written next to the
results by fixtures.verification) is copied beside the report's index.html and shown on its overview
as a global attachment.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPORTS_DIR = Path(__file__).resolve().parent
HISTORY = REPORTS_DIR / "out" / "allure-history.jsonl"  # allurerc.mjs historyPath, relative to reports/
SUMMARY_FILES = ("verification-summary.md", "verification-summary.json")


def build(results: Path, out: Path) -> int:
    allure = REPORTS_DIR / "node_modules" / ".bin" / "allure"
    if not allure.exists():
        print(f"allure is not installed in {REPORTS_DIR}/node_modules: run `make install`", file=sys.stderr)
        return 2
    if not results.is_dir() or not any(results.iterdir()):
        print(f"no Allure results in {results}: run the suites first", file=sys.stderr)
        return 2
    results, out = results.resolve(), out.resolve()
    if out.exists():
        shutil.rmtree(out)
    HISTORY.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([str(allure), "generate", str(results), "--output", str(out)],
                          cwd=REPORTS_DIR, capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
        return done.returncode
    for name in SUMMARY_FILES:
        if (results / name).exists():
            shutil.copy2(results / name, out / name)
    runs = len(HISTORY.read_text().splitlines()) if HISTORY.exists() else 0
    print(f"HTML report: {out / 'index.html'} (history: {runs} run(s) in {HISTORY})")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(build(Path(sys.argv[1]), Path(sys.argv[2])))
