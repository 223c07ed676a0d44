"""A limit's marginal band (a product reference inside the standard's ceiling) and the site roles.

A 6 mA DC trip has an IEC 62955 ceiling of 10 s while products trip in < 0.7 s (field-facts §5): a
unit at 5 s passes, but a release manager should see that it only just meets the ceiling.  The
profile carries both numbers, a malformed band stops the run before any test, and a pass beyond
the band is reported as marginal.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from fixtures.profile import Limit, ProfileError, load_profile
from rig.ev import RoleMissing
from rig.rig import MarginalResult, marginal_result
from rig.site import Site
from rig.timing import Span

BENCHES = Path(__file__).resolve().parents[1] / "benches"


def _profile(tmp_path: Path, limits: str) -> Path:
    path = tmp_path / "lab.toml"
    path.write_text('name = "lab"\n[charger]\nurl = "http://127.0.0.1:1"\n[limits]\n' + limits)
    return path


def test_default_rcd_limits_carry_their_product_reference_as_a_marginal_band() -> None:
    limit = load_profile(BENCHES / "virtual.toml").limit("rcd_dc_6ma_trip_s")
    assert (limit.value, limit.marginal) == (10.0, 0.7)
    assert "IEC 62955" in limit.origin and "product" in limit.marginal_origin


def test_a_profile_may_override_a_marginal_band(tmp_path: Path) -> None:
    path = _profile(tmp_path, 'rcd_dc_60ma_trip_s = { value = 0.3, unit = "s", origin = "IEC 62955", '
                              'marginal = 0.2, marginal_origin = "our unit\'s datasheet" }\n')
    limit = load_profile(path).limit("rcd_dc_60ma_trip_s")
    assert (limit.value, limit.marginal, limit.marginal_origin) == (0.3, 0.2, "our unit's datasheet")


@pytest.mark.parametrize("entry, message", [
    ('{ value = 0.3, unit = "s", origin = "x", marginal = 0.2 }', "without its marginal_origin"),
    ('{ value = 0.3, unit = "s", origin = "x", marginal = 0.5, marginal_origin = "y" }', "beyond the limit"),
    ('{ value = 0.3, unit = "s", origin = "x", tolerance = 0.1 }', "unknown key"),
    ('0.3', "must be a table"),
])
def test_a_malformed_limit_entry_is_one_usage_error(tmp_path: Path, entry: str, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        load_profile(_profile(tmp_path, f"rcd_dc_60ma_trip_s = {entry}\n"))


LIMIT = Limit("rcd_dc_6ma_trip_s", 10.0, "s", "IEC 62955 ceiling", 0.7, "product example")


@pytest.mark.parametrize("seconds, marginal", [(0.5, False), (0.7, False), (5.0, True)])
def test_a_pass_beyond_the_product_reference_is_reported_marginal(seconds: float, marginal: bool) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        marginal_result("rcd_trip_dc_6mA", Span(seconds, seconds, "timer"), LIMIT, "max")
    found = [w for w in caught if issubclass(w.category, MarginalResult)]
    assert bool(found) is marginal
    if marginal:
        assert "beyond the product reference 0.7 s" in str(found[0].message)


def test_a_limit_without_a_band_or_a_minimum_is_never_marginal() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        marginal_result("x", Span(9.0, 9.0, ""), Limit("x", 10.0, "s", "o"), "max")
        marginal_result("x", Span(9.0, 9.0, ""), LIMIT, "min")


class _Roles:
    """OpenedRoles stand-in: nothing bound."""

    timers: dict[str, object] = {}

    def get(self, role: str) -> None:
        return None


def test_a_site_role_the_bench_lacks_is_a_skip_that_names_it() -> None:
    site = Site(_Roles(), frozenset({"cp_control"}), {"ac_source": "no ac_source role is bound"})  # type: ignore[arg-type]
    with pytest.raises(RoleMissing, match="bench lacks ac_source.output: no ac_source role is bound"):
        site.set_mains_on(False)
    with pytest.raises(RoleMissing, match="bench lacks thermal.board_temperature"):
        site.set_board_temperature(75.0)
    site.safe()  # nothing bound: nothing to make safe, no error
