"""The EOL suite's one fixture: the unit on the line (the rig, its production order, the run's record)."""
from __future__ import annotations

import pytest

from fixtures.eol import eol_run_of
from rig import Rig
from suites.eol.sequence import Line


@pytest.fixture
def line(request: pytest.FixtureRequest, rig: Rig) -> Line:
    run = eol_run_of(request.config)
    if run is None:  # collection already skips it outside an EOL run; a direct request gets the same reason
        pytest.skip("the end-of-line sequence runs for one unit: pytest --profile eol --serial S")
    return Line(rig, run.order, run)
