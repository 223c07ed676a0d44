"""After ``pip install`` of the project, a lab's own directory (no conftest, no pytest.ini) runs a test
on the ``rig`` fixture against the virtual bench: the plugin, its profiles and its simulator travel in
the package, found through the ``lektrico_hil`` pytest11 entry point."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LAB_TEST = textwrap.dedent('''
    from rig import Rig


    async def test_the_ev_draws_no_more_than_the_pwm_offers(rig: Rig) -> None:
        seen = await rig.charge(load_a=10)
        assert seen.advertised_a is not None and seen.current_a <= min(10, seen.advertised_a) + 0.5, seen
        await rig.unplug()
''')


def test_a_directory_outside_the_project_runs_a_rig_test_after_pip_install(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(PROJECT_ROOT)],
                             capture_output=True, text=True, timeout=600)
    if install.returncode != 0 and "No matching distribution" in install.stderr:
        pytest.skip(f"no package index reachable for the dependencies: {install.stderr.strip()[-300:]}")
    assert install.returncode == 0, install.stderr[-2000:]
    lab = tmp_path / "my-lab"
    lab.mkdir()
    (lab / "test_my_lab.py").write_text(LAB_TEST)
    run = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=lab,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "1 passed" in run.stdout
