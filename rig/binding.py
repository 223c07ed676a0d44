"""A profile's ``[resources]`` and ``[roles]``: checked, turned into capabilities, then opened.

A resource says where an instrument is and which adapter drives it; a role names the resource that
plays it.  One instrument may play several roles (our EV simulator box plays five), several
instruments one role each (a lab's CP board, electronic load, calibrator and analyzer)::

    [resources.ev_board]
    adapter = "j1772-ev-sim-remote"
    url = "/dev/ttyACM0"

    [roles]
    cp_control = "ev_board"
    cp_measurement = "ev_board"

The bench's capabilities are the roles bound and their adapter's features (``cp_control``,
``cp_control.diode_short``), plus ``timer.<name>`` for each timer a resource declares.  Nothing
else lists them, so a test's ``needs`` is answered by the instruments themselves.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from instruments.roles import ROLE_FEATURES, TIMERS
from rig.adapters import ADAPTERS, COMMON_SETTINGS, AdapterSpec


class BindingError(ValueError):
    """A resource or role the profile gets wrong (a usage error: the run stops before any test)."""


GENERIC_SETTINGS = ("calibration_due", "labgrid")
"""Keys any resource may carry whatever its adapter, about the instrument rather than its link:
``calibration_due = "YYYY-MM-DD"``, the date its calibration expires (the EOL unit record keeps it and
warns when it is past); ``labgrid = "<resource>"``, a resource of the profile's labgrid place standing for the
``url`` / ``resource`` (fixtures/labgrid_place.py fills it in).  They are never passed to the adapter."""


def _check_calibration_due(name: str, value: Any) -> None:
    """A calibration due date is an ISO date (TOML date or "YYYY-MM-DD" string): a typo is a usage error."""
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        return
    if isinstance(value, str):
        try:
            _dt.date.fromisoformat(value)
            return
        except ValueError:
            pass
    raise BindingError(f"[resources.{name}] calibration_due must be a date \"YYYY-MM-DD\", not {value!r}")


def _resource_spec(name: str, table: Any) -> AdapterSpec:
    if not isinstance(table, dict):
        raise BindingError(f"[resources.{name}] must be a table")
    adapter = table.get("adapter")
    if adapter not in ADAPTERS:
        raise BindingError(f"[resources.{name}] adapter {adapter!r} is unknown; known: {', '.join(ADAPTERS)}")
    spec = ADAPTERS[adapter]
    allowed = set(COMMON_SETTINGS) | set(GENERIC_SETTINGS) | set(spec.settings)
    for key in table:
        if key not in allowed:
            raise BindingError(f"[resources.{name}] unknown key {key!r} for adapter {adapter!r}; "
                               f"known: {', '.join(sorted(allowed))}")
    for key in spec.required:
        if key not in table and not (key in ("url", "resource") and "labgrid" in table):
            raise BindingError(f"[resources.{name}] has no {key!r} (required by adapter {adapter!r})")
    if "calibration_due" in table:
        _check_calibration_due(name, table["calibration_due"])
    timers = table.get("timers", [])
    if not isinstance(timers, list):
        raise BindingError(f"[resources.{name}] timers must be a list")
    for timer in timers:
        if timer not in TIMERS:
            raise BindingError(f"[resources.{name}] unknown timer {timer!r}; known: {', '.join(TIMERS)}")
        if timer not in spec.timers:
            raise BindingError(f"[resources.{name}] declares timer {timer!r}, which adapter {adapter!r} "
                               f"({spec.model}) does not have")
    return spec


def check_bindings(raw: dict[str, Any]) -> None:
    """Every resource's adapter and keys known, every role known and bound to a resource that can play it."""
    resources = raw.get("resources", {})
    if not isinstance(resources, dict):
        raise BindingError("[resources] must be a table of tables")
    specs = {name: _resource_spec(name, table) for name, table in resources.items()}
    roles = raw.get("roles", {})
    if not isinstance(roles, dict):
        raise BindingError("[roles] must be a table: role = \"resource name\"")
    for role, resource in roles.items():
        if role not in ROLE_FEATURES:
            raise BindingError(f"[roles] unknown role {role!r}; known: {', '.join(ROLE_FEATURES)}")
        if resource not in specs:
            raise BindingError(f"[roles] {role} = {resource!r}: no [resources.{resource}]"
                               + (f"; resources: {', '.join(specs)}" if specs else ""))
        if role not in specs[resource].roles:
            spec = specs[resource]
            raise BindingError(f"[roles] {role} = {resource!r}: adapter {spec.name!r} ({spec.model}) cannot "
                               f"play {role}; it plays {', '.join(spec.roles)}")


def capabilities(raw: dict[str, Any]) -> frozenset[str]:
    """What the bench can do, from its bound roles (call after :func:`check_bindings`)."""
    resources = raw.get("resources", {})
    found: set[str] = set()
    for role, resource in raw.get("roles", {}).items():
        table = resources[resource]
        spec = ADAPTERS[table["adapter"]]
        found.add(role)
        found |= {f"{role}.{feature}" for feature in spec.roles[role]}
        found |= {f"timer.{timer}" for timer in table.get("timers", [])}
    return frozenset(found)


def known_capabilities() -> frozenset[str]:
    """Every name a ``needs`` marker may use."""
    names = set(ROLE_FEATURES) | {f"{r}.{f}" for r, fs in ROLE_FEATURES.items() for f in fs}
    return frozenset(names | {f"timer.{t}" for t in TIMERS})


def describe(raw: dict[str, Any], role: str) -> str:
    """'cp_control by ev_board (j1772-ev-sim-remote: states)' for a skip reason; 'no cp_control' if unbound."""
    resource = raw.get("roles", {}).get(role)
    if resource is None:
        return f"no {role} role is bound"
    spec = ADAPTERS[raw["resources"][resource]["adapter"]]
    return f"{role} is {resource} ({spec.model}: {', '.join(sorted(spec.roles[role]))} only)"


@dataclass
class OpenedRoles:
    """The bench's instruments, opened once per run, and the role each plays."""

    by_role: dict[str, Any] = field(default_factory=dict)
    by_resource: dict[str, Any] = field(default_factory=dict)
    timers: dict[str, Any] = field(default_factory=dict)       # timer name -> the instrument that has it
    identities: dict[str, str] = field(default_factory=dict)   # resource -> identity string

    def get(self, role: str) -> Any | None:
        return self.by_role.get(role)

    def close(self) -> None:
        for instrument in self.by_resource.values():
            try:
                instrument.close()
            except Exception:  # noqa: BLE001 - closing the rest matters more than one refusal
                pass


def open_roles(raw: dict[str, Any], fill: Callable[[Any], Any]) -> OpenedRoles:
    """Open every resource a role is bound to (once each) through its adapter's ``from_resource``."""
    opened = OpenedRoles()
    resources = raw.get("resources", {})
    try:
        for role, resource in raw.get("roles", {}).items():
            if resource not in opened.by_resource:
                table = {key: fill(value) for key, value in resources[resource].items() if key not in GENERIC_SETTINGS}
                cls = ADAPTERS[table["adapter"]].load()
                instrument = cls.from_resource(table)
                opened.by_resource[resource] = instrument
                opened.identities[resource] = instrument.identify()
                for timer in table.get("timers", []):
                    opened.timers[timer] = instrument
            opened.by_role[role] = opened.by_resource[resource]
    except BaseException:
        opened.close()
        raise
    return opened
