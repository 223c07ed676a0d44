"""The suites cover the whole spec: every method, every key, every provokable error code.

Judged from evidence, not from test names: the spec labels and the masked RPC exchanges that the
passing tests of one full run against the correct virtual charger attached to their results.
"""
from __future__ import annotations

from pathlib import Path

from reports.spec_coverage import read_results, summary
from reference.spec import APP_KEYS, CHARGER_KEYS, METHODS
from tests.mutation.runner import SuiteRun


def test_every_method_key_and_error_code_is_exercised(correct_charger_run: tuple[SuiteRun, Path]) -> None:
    _, results = correct_charger_run
    coverage = read_results(results)
    print("\n" + summary(coverage))
    assert len(coverage.methods_covered()) == len(METHODS) == 35
    assert len(coverage.keys_covered(APP_KEYS)) == len(APP_KEYS) == 22
    assert len(coverage.keys_covered(CHARGER_KEYS)) == len(CHARGER_KEYS) == 9
    assert not coverage.missing_codes(), f"codes the spec lets provoke but no passing test did: {coverage.missing_codes()}"
