"""The charger's error flags as a fault test judges them (spec 6.9 Logged_errors.Get, 6.16 Active_errors.Get).

Both methods return the same 18 flags (``reference.spec.methods.ERROR_FLAG_FIELDS``).  A protective
function is judged on them in two ways, the same for every fault:

* **raised**: the fault's own flag is set (where the spec allows several, e.g. ``overvoltage_error``
  or ``voltage_error``, at least one of them), and no flag unrelated to the fault is set: a charger
  that reports an over-voltage as a meter fault, or a CP-PE short as a diode failure, misleads whoever
  reads the log.  A flag that the fault legitimately implies (``overtemp`` above the critical
  temperature, ``state_f_activated`` while the charger shows F) is listed as tolerated.
* **latched**: once the fault is gone and the charger has recovered, the active flag is clear while
  the logged one stays until ``Logged_errors.Reset`` (6.10), which clears every logged flag.

Every failure names the flag and the fault, so the report says what the charger got wrong.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reference.spec.methods import ERROR_FLAG_FIELDS

if TYPE_CHECKING:
    from rig.rig import Rig

FLAGS: tuple[str, ...] = tuple(field.name for field in ERROR_FLAG_FIELDS)
"""The 18 flags of 6.9 / 6.16, in spec order."""


@dataclass(frozen=True)
class ErrorFlags:
    """One read of Active_errors.Get and Logged_errors.Get, and 6.5's has_active_errors beside them."""

    active: dict[str, bool]
    logged: dict[str, bool]
    has_active_errors: bool | None = None

    @staticmethod
    def _set(flags: dict[str, bool]) -> tuple[str, ...]:
        return tuple(name for name in FLAGS if flags.get(name) is True)

    @property
    def raised_active(self) -> tuple[str, ...]:
        return self._set(self.active)

    @property
    def raised_logged(self) -> tuple[str, ...]:
        return self._set(self.logged)

    def missing(self) -> list[str]:
        """Spec flags either method left out (a schema fault that would hide a fault)."""
        return [f"{method}: {name}" for method, flags in (("Active_errors.Get", self.active),
                                                          ("Logged_errors.Get", self.logged))
                for name in FLAGS if name not in flags]


async def read_flags(rig: Rig) -> ErrorFlags:
    """Active_errors.Get, then Logged_errors.Get, then Charger_info.Get's has_active_errors."""
    active = await rig.charger.call("Active_errors.Get")
    logged = await rig.charger.call("Logged_errors.Get")
    info = await rig.charger.call("Charger_info.Get")
    return ErrorFlags(active, logged, info.get("has_active_errors"))


def own_raised(flags: dict[str, bool], own: Iterable[str]) -> tuple[str, ...]:
    """Which of the fault's own flags are set."""
    return tuple(name for name in own if flags.get(name) is True)


def check_raised(flags: ErrorFlags, fault: str, own: tuple[str, ...], *, tolerated: Iterable[str] = (),
                 active: bool = True) -> tuple[str, ...]:
    """Assert the fault's flag (one of ``own``) is set, logged and (``active``) active, with 6.5's
    has_active_errors true, and that no unrelated flag is set in either; return the own flags raised
    (for an ambiguity's label).

    ``own`` empty: the spec names no flag for the fault; then nothing but ``tolerated`` may be set."""
    __tracebackhide__ = True
    missing = flags.missing()
    assert not missing, f"after {fault}: flags of spec 6.9 / 6.16 missing from the reply: {missing}"
    allowed = set(own) | set(tolerated)
    problems: list[str] = []
    views = (("logged", flags.logged),) + ((("active", flags.active),) if active else ())
    for view, values in views:
        if own and not own_raised(values, own):
            problems.append(f"{' or '.join(own)} not {view}")
        unrelated = [name for name in FLAGS if values.get(name) is True and name not in allowed]
        if unrelated:
            problems.append(f"unrelated flags {view}: {unrelated}")
    if active and own and flags.has_active_errors is not True:
        problems.append(f"Charger_info.Get has_active_errors {flags.has_active_errors!r} (spec 6.5) with "
                        f"{list(flags.raised_active)} active")
    assert not problems, (f"error flags after {fault}: {'; '.join(problems)} (active {list(flags.raised_active)}, "
                          f"logged {list(flags.raised_logged)}; spec 6.9 / 6.16)")
    return own_raised(flags.logged, own)


def check_latched(flags: ErrorFlags, fault: str, own: Iterable[str], recovered: str) -> None:
    """After recovery: the fault's flags no longer active, still logged (before Logged_errors.Reset)."""
    __tracebackhide__ = True
    own = tuple(own)
    still = [name for name in own if flags.active.get(name) is True]
    assert not still, f"{still} still active after {fault} was gone and {recovered}"
    if own:
        assert own_raised(flags.logged, own), (
            f"{' / '.join(own)} no longer logged after {fault} ended and {recovered}, before Logged_errors.Reset "
            f"(spec 6.9: a logged flag stays until 6.10); logged now {list(flags.raised_logged)}")


async def check_reset_clears(rig: Rig, fault: str) -> None:
    """Logged_errors.Reset answers true and leaves no logged flag."""
    __tracebackhide__ = True
    answer = await rig.charger.call("Logged_errors.Reset")
    assert answer is True, f"Logged_errors.Reset after {fault} answered {answer!r}"
    left = ErrorFlags._set(await rig.charger.call("Logged_errors.Get"))
    assert not left, f"logged after Logged_errors.Reset (after {fault}): {list(left)}"
