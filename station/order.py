"""The production order: which serial numbers belong to it, and what each unit must be when it leaves the line.

Read by the EOL run (``--order``, default ``benches/production-order.toml``) and by ``lektrico-hil eol``
before it starts the run, so a wrong scan is refused at once (exit 4) rather than failing a unit that
was never on this order.  Every key is checked: an unknown key or a wrong type is an :class:`OrderError`
naming it (a usage error), never a silently ignored expectation.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reference.spec import KEYS_BY_NAME
from reference.spec.schema import KeyGroup

DEFAULT_ORDER = Path(__file__).resolve().parent.parent / "benches" / "production-order.toml"
TOP_KEYS = {"id": str, "product": str, "board_revision": str, "firmware": str, "serial_pattern": str,
            "serial_range": list, "station": str, "operator": str, "factory_defaults": dict}
GROUPS = {"app": KeyGroup.APP, "charger": KeyGroup.CHARGER}
"""``[factory_defaults.app]`` holds chapter 4 keys (App_config.Get), ``.charger`` chapter 5 keys (Charger_config.Get)."""


class OrderError(ValueError):
    """The production order is unreadable or malformed, or a serial is not on it (a usage error)."""


@dataclass(frozen=True)
class FactoryDefault:
    """One key the unit must ship with: the order's value, and the spec's stated default beside it."""

    group: str            # "app" or "charger"
    key: str
    value: Any

    @property
    def method(self) -> str:
        return "App_config.Get" if self.group == "app" else "Charger_config.Get"

    @property
    def spec_default(self) -> Any:
        return KEYS_BY_NAME[self.key].default

    @property
    def origin(self) -> str:
        chapter = KEYS_BY_NAME[self.key].section
        spec = f"spec ch. {chapter} default {self.spec_default!r}"
        return spec if self.value == self.spec_default else f"production order (differs from the {spec})"


@dataclass(frozen=True)
class ProductionOrder:
    id: str
    path: Path
    board_revision: str
    firmware: str
    product: str = ""
    serial_pattern: str | None = None
    serial_range: tuple[int, int] | None = None
    station: str | None = None
    operator: str | None = None
    factory_defaults: tuple[FactoryDefault, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def check_serial(self, serial: str) -> None:
        """Refuse a scanned serial that is not on this order (OrderError says why)."""
        if not serial:
            raise OrderError("no serial number scanned")
        if self.serial_pattern is not None and not re.fullmatch(self.serial_pattern, serial):
            raise OrderError(f"serial {serial!r} does not match order {self.id}'s pattern {self.serial_pattern!r}")
        if self.serial_range is not None:
            low, high = self.serial_range
            if not serial.isdigit() or not low <= int(serial) <= high:
                raise OrderError(f"serial {serial!r} is outside order {self.id}'s range {low}-{high}")

    def to_json(self) -> dict[str, Any]:
        """The order as the unit record keeps it (the identity it was held to, and the defaults)."""
        return {"id": self.id, "product": self.product, "board_revision": self.board_revision,
                "firmware": self.firmware, "serial_pattern": self.serial_pattern,
                "serial_range": list(self.serial_range) if self.serial_range else None,
                "file": str(self.path),
                "factory_defaults": {group: {d.key: d.value for d in self.factory_defaults if d.group == group}
                                     for group in GROUPS}}


def _defaults(path: Path, table: Any) -> tuple[FactoryDefault, ...]:
    if not isinstance(table, dict):
        raise OrderError(f"{path}: [factory_defaults] must be a table of [factory_defaults.app] / .charger")
    found: list[FactoryDefault] = []
    for group, keys in table.items():
        if group not in GROUPS or not isinstance(keys, dict):
            raise OrderError(f"{path}: [factory_defaults.{group}] unknown; known: {', '.join(GROUPS)}")
        for key, value in keys.items():
            spec = KEYS_BY_NAME.get(key)
            if spec is None or spec.group is not GROUPS[group]:
                raise OrderError(f"{path}: [factory_defaults.{group}] {key!r} is not a spec chapter "
                                 f"{'4' if group == 'app' else '5'} key")
            if not spec.type.accepts(value):
                raise OrderError(f"{path}: [factory_defaults.{group}] {key} = {value!r} is not of the spec's type {spec.type.value}")
            found.append(FactoryDefault(group, key, value))
    return tuple(found)


def load_order(path: Path | str | None = None) -> ProductionOrder:
    """Read and check a production order (OrderError: what is wrong, with the file)."""
    path = Path(path) if path is not None else DEFAULT_ORDER
    try:
        raw = tomllib.loads(path.read_text())
    except OSError as error:
        raise OrderError(f"cannot read production order {path}: {error.strerror or error}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise OrderError(f"production order {path} is not valid TOML: {error}") from None
    for key, value in raw.items():
        if key not in TOP_KEYS:
            raise OrderError(f"{path}: unknown key {key!r}; known: {', '.join(TOP_KEYS)}")
        if not isinstance(value, TOP_KEYS[key]):
            raise OrderError(f"{path}: {key} must be a {TOP_KEYS[key].__name__}, not {value!r}")
    for key in ("id", "board_revision", "firmware"):
        if key not in raw:
            raise OrderError(f"{path}: the order needs {key!r}")
    pattern = raw.get("serial_pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as error:
            raise OrderError(f"{path}: serial_pattern {pattern!r} is not a regular expression: {error}") from None
    span = raw.get("serial_range")
    if span is not None and (len(span) != 2 or not all(isinstance(n, int) for n in span) or span[0] > span[1]):
        raise OrderError(f"{path}: serial_range must be [lowest, highest], two integers, not {span!r}")
    return ProductionOrder(raw["id"], path, raw["board_revision"], raw["firmware"], raw.get("product", ""),
                           pattern, tuple(span) if span else None, raw.get("station"), raw.get("operator"),
                           _defaults(path, raw.get("factory_defaults", {})), raw)
