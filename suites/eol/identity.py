"""EOL steps 1-2: the unit is the one scanned, built as the order says, and configured as it must ship.

* **Identity.**  The serial number from every method that reports it (``Charger_config.Get``
  serial_number, 6.21; ``Serial_number.Get``, 6.11, deprecated, so a unit may no longer serve it;
  ``Device_id.Get`` ``1p7k_<serial>``, 6.14) equals the scanned serial; the board revision (6.8, ch. 5)
  and the firmware (6.6, 6.5, 6.29) from each of their methods equal the production order's.  The
  readers are the API suites' own table (suites/api/test_consistency.py), so both agree on where a
  quantity is reported.  Forms the spec leaves open are accepted, never guessed: an integer or a string
  serial (ambiguity serial_number_type_mismatch), a padded or plain device id (device_id_format).
* **Factory defaults.**  Each key the order lists, read back from ``App_config.Get`` (ch. 4) or
  ``Charger_config.Get`` (ch. 5), has the order's value with its JSON type (``true`` is not ``1``).
"""
from __future__ import annotations

from typing import Any

from instruments.charger_rpc import DeviceError
from reference.spec import METHODS_BY_NAME
from reports.allure_support import ambiguity, cover
from suites.api.support import label
from suites.api.test_consistency import DEVICE_TYPE, REPORTED, SERIAL_READERS, UNKNOWN_METHOD_CODES, read, same
from suites.eol.sequence import Line, StepFailure


def _as_serial(value: Any) -> int | None:
    """A serial number as the spec's two forms give it (an integer, or a 6-digit string), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _text(value: Any) -> str | None:
    """The record keeps identity fields as text (a serial may come as an integer: ch. 5)."""
    return None if value is None else str(value)


async def _serials(line: Line) -> dict[str, Any]:
    """The serial number from each method that reports it (a removed deprecated method is left out)."""
    seen: dict[str, Any] = {}
    for reader in SERIAL_READERS:
        try:
            seen[str(reader)] = await read(line.rig.charger, reader)
        except DeviceError as error:
            if not (METHODS_BY_NAME[reader.method].deprecated and error.code in UNKNOWN_METHOD_CODES):
                raise
            ambiguity(*label("deprecated_method_served", "removed"))
    return seen


async def identity(line: Line) -> None:
    cover(METHODS_BY_NAME["Device_id.Get"], title="EOL identity: serial, board revision and firmware against "
                                                   "the scan and the production order")
    scanned, order = line.run.serial, line.order
    serials = await _serials(line)
    device_id = await read(line.rig.charger, REPORTED["device_id"][0])
    boards = {str(r): await read(line.rig.charger, r) for r in REPORTED["board_revision"]}
    firmwares = {str(r): await read(line.rig.charger, r) for r in REPORTED["fw_version"]}
    line.run.record.identity = {
        "serial_number": _text(next(iter(serials.values()), None)), "board_revision": _text(next(iter(boards.values()))),
        "firmware": _text(next(iter(firmwares.values()))), "device_id": _text(device_id), "seen": {**serials, **boards, **firmwares}}

    for where, value in serials.items():
        if _as_serial(value) != int(scanned):
            raise StepFailure(f"serial number ({where})", value, f"== {scanned} (scanned)",
                              f"{where} reports serial {value!r}, the unit was scanned as {scanned}")
    kind, _, digits = str(device_id).partition("_")
    if kind != DEVICE_TYPE or not digits.isdigit() or int(digits) != int(scanned):
        raise StepFailure("device_id (Device_id.Get)", device_id, f"{DEVICE_TYPE}_{scanned}",
                          f"Device_id.Get reports {device_id!r}, not {DEVICE_TYPE}_<serial {scanned}> (spec 6.14)")
    for what, seen, expected in (("board revision", boards, order.board_revision),
                                 ("firmware", firmwares, order.firmware)):
        for where, value in seen.items():
            if value != expected:
                raise StepFailure(f"{what} ({where})", value, f"== {expected!r} (order {order.id})",
                                  f"{where} reports {what} {value!r}; order {order.id} expects {expected!r}")


async def factory_defaults(line: Line) -> None:
    cover(METHODS_BY_NAME["App_config.Get"], title="EOL factory defaults: the order's keys as the unit ships")
    replies = {method: await line.rig.charger.call(method) for method in {d.method for d in line.order.factory_defaults}}
    wrong = []
    for default in line.order.factory_defaults:
        reply = replies[default.method]
        value = reply.get(default.key, "missing")
        if not same(value, default.value):
            wrong.append((default, value))
    if wrong:
        first, value = wrong[0]
        listed = "; ".join(f"{d.key} = {v!r} (expected {d.value!r}, {d.origin})" for d, v in wrong)
        raise StepFailure(f"{first.key} ({first.method})", value, f"== {first.value!r} ({first.origin})",
                          f"{len(wrong)} factory default(s) wrong: {listed}")
