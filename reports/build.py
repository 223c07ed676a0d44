"""``python -m reports.build RESULTS OUT [--history FILE]``: turn Allure results into the HTML report.

The report is Allure 3's awesome plugin in **single-file** mode (``singleFile`` in allurerc.mjs):
``OUT/index.html`` carries its data inline, so it opens from the file system (``file://``) with no
server; a multi-file Allure report fetches its data and shows only a spinner there.

The results hold one run only (pytest cleans them at the start of each run); the trends come from
Allure 3's history file, ``reports/out/allure-history.jsonl`` by default (``historyPath`` in
allurerc.mjs; ``--history`` or the environment variable ``LEKTRICO_ALLURE_HISTORY`` for another, so
a test's report never extends the project's trend), which each build reads and then extends by this
run.  The results are first copied and prepared (reports.postprocess: the project's fixtures only,
the ambiguity and spec-coverage pages); the run's verification summary (written next to the results
by fixtures.verification) is copied beside the report's index.html.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from reports.postprocess import stage

REPORTS_DIR = Path(__file__).resolve().parent
HISTORY = REPORTS_DIR / "out" / "allure-history.jsonl"  # allurerc.mjs historyPath, relative to reports/
HISTORY_ENV = "LEKTRICO_ALLURE_HISTORY"
SUMMARY_FILES = ("verification-summary.md", "verification-summary.json",
                 "signoff.md", "signoff.html",   # a release run's sign-off summary (reports/signoff.py)
                 "flaky.md")                      # a nightly run's flaky list (reports/nightly.py)


def build(results: Path, out: Path, history: Path | None = None) -> int:
    allure = REPORTS_DIR / "node_modules" / ".bin" / "allure"
    if not allure.exists():
        print(f"allure is not installed in {REPORTS_DIR}/node_modules: run `make install`", file=sys.stderr)
        return 2
    if not results.is_dir() or not any(results.iterdir()):
        print(f"no Allure results in {results}: run the suites first", file=sys.stderr)
        return 2
    results, out = results.resolve(), out.resolve()
    history = (history or Path(os.environ.get(HISTORY_ENV) or HISTORY)).resolve()
    if out.exists():
        shutil.rmtree(out)
    history.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="allure-staged-") as staging:
        staged = stage(results, Path(staging) / "results")
        done = subprocess.run([str(allure), "generate", str(staged), "--output", str(out)],
                              cwd=REPORTS_DIR, capture_output=True, text=True,
                              env={**os.environ, HISTORY_ENV: str(history)})
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
        return done.returncode
    for name in SUMMARY_FILES:
        if (results / name).exists():
            shutil.copy2(results / name, out / name)
    runs = len(history.read_text().splitlines()) if history.exists() else 0
    print(f"HTML report: {out / 'index.html'} (single file: opens from file://; history: {runs} run(s) in {history})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports.build", description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--history", type=Path, default=None,
                        help=f"Allure 3 history file (JSONL; default ${HISTORY_ENV} or {HISTORY})")
    args = parser.parse_args(argv)
    return build(args.results, args.out, args.history)


if __name__ == "__main__":
    sys.exit(main())
