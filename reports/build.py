"""``python -m reports.build RESULTS OUT``: turn Allure results into the HTML report (Allure 3, Node).

Before building, it writes the run's environment and the spec-ambiguity summary into the results,
so the report says what bench and which firmware it judged.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPORTS_DIR = Path(__file__).resolve().parent


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
    done = subprocess.run([str(allure), "generate", str(results), "--output", str(out)],
                          cwd=REPORTS_DIR, capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
        return done.returncode
    print(f"HTML report: {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(build(Path(sys.argv[1]), Path(sys.argv[2])))
