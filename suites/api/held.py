"""A precondition held across a run of consecutive tests, instead of set and put back around each one.

A rejected-input test first puts the charger in a known state (a key at a value away from its bounds and
its default, a stored schedule), so a half-applied or converted value cannot hide behind what the charger
happened to hold.  Set inside each test, the snapshot guard puts it back after each: two exchanges per
test for the same state, over and over.  Consecutive tests that need the same precondition (the cases
of one parametrized test function) share it instead:

- the first test's set-up puts it in place *before* the guard's start of the test, so the guard takes it
  as the configuration every test of the run starts from and restores each of them to it;
- the last test's tear-down (after the guard's restore) puts back what was there before, with the
  guard's own restore (NULL forms, refusals reported as the guard reports them).

A precondition the charger refuses is not held: the test then sets it itself and fails there, with the
test's own message.  Every test still starts from a configuration the guard knows.
"""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest

from fixtures.snapshot import ChargerSnapshot, ConfigGuard, Domain, restore_domains
from instruments.charger_rpc import ChargerClient, DeviceError
from instruments.charger_rpc.tally import counted_as


@dataclass(frozen=True)
class Precondition:
    """A state some consecutive tests start from."""

    name: str                                          # tests naming the same precondition share it
    holds: Callable[[ChargerSnapshot], bool]           # in place? judged from the guard's known configuration
    put: Callable[[ChargerClient], Awaitable[object]]  # put it in place; True: done
    part: Callable[[ChargerSnapshot], ChargerSnapshot]  # what it changes, to be put back afterwards


@dataclass(frozen=True)
class _Held:
    name: str
    before: ChargerSnapshot  # the part it changes, as the guard knew it before
    part: Callable[[ChargerSnapshot], ChargerSnapshot]


_HELD: list[_Held] = []  # at most one: a run of tests ends before the next one begins


def _next_item(item: pytest.Item) -> pytest.Item | None:
    items = item.session.items
    index = next((i for i, other in enumerate(items) if other is item), None)
    return items[index + 1] if index is not None and index + 1 < len(items) else None


async def _put_back(client: ChargerClient, guard: ConfigGuard) -> None:
    held = _HELD.pop()
    with counted_as("hold"):  # the guard's known configuration is the charger's: its restore just ran
        outcome = await restore_domains(client, held.before, held.part(guard.known))
    outcome.report()  # a refusal: labelled and warned, or a RestoreError (the charger's verdict)


@contextlib.asynccontextmanager
async def holding(request: pytest.FixtureRequest, guard: ConfigGuard, client: ChargerClient,
                  precondition_of: Callable[[pytest.Item], Precondition | None]) -> AsyncIterator[bool]:
    """Around one test: its precondition (``precondition_of(test)``) in place at its start, or not
    (yields whether it is).  Use from an autouse fixture, so it wraps the ``charger`` fixture's restore."""
    names = request.fixturenames
    assert "charger" not in names or names.index(request.fixturename) < names.index("charger"), (
        "a held precondition must be set up before the charger fixture (and torn down after its restore)")
    precondition = precondition_of(request.node)
    await guard.before_test()  # the guard's known configuration up to date
    name = _name_of(precondition_of, request.node)
    if _HELD and _HELD[0].name != name:
        await _put_back(client, guard)  # a run that ended without its last test (skipped, deselected)
        await guard.before_test()
    in_place = False
    if precondition is not None:
        in_place = precondition.holds(guard.known)
        if not in_place:
            before = precondition.part(guard.known)
            try:
                with counted_as("hold"):
                    done = await precondition.put(client) is True
            except DeviceError:
                done = False
            if done:
                _HELD.append(_Held(name, before, precondition.part))
                await guard.before_test()  # read what the charger now holds: the tests start from that
                in_place = precondition.holds(guard.known)
    try:
        yield in_place
    finally:
        following = _next_item(request.node)
        if _HELD and (following is None or _name_of(precondition_of, following) != _HELD[0].name):
            await _put_back(client, guard)


def _name_of(precondition_of: Callable[[pytest.Item], Precondition | None], item: pytest.Item) -> str | None:
    """The precondition's name, qualified by the test file (another file's tests never share it)."""
    precondition = precondition_of(item)
    return f"{item.path}::{precondition.name}" if precondition is not None else None


def app_key_part(key: str) -> Callable[[ChargerSnapshot], ChargerSnapshot]:
    """The part of the configuration a precondition on one application key changes."""
    def part(known: ChargerSnapshot) -> ChargerSnapshot:
        value = {key: known.app_config[key]} if key in known.app_config else {}
        return ChargerSnapshot(app_config=value, domains=frozenset({Domain.APP_CONFIG}))
    return part


def schedule_part(known: ChargerSnapshot) -> ChargerSnapshot:
    """The part of the configuration a precondition on the charging schedule changes."""
    return ChargerSnapshot(schedule=known.schedule, domains=frozenset({Domain.SCHEDULE}))
