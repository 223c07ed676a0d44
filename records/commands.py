"""The records' sub-commands of ``lektrico-hil``: export, lot-report, failing, units.

``station/cli.py`` builds the parser and calls :func:`register` with its sub-parsers; each command sets
``func(args) -> int`` (the exit code: 0 done, 4 a usage error: no such database or record, a bad date).
Every ``--db`` defaults to the station's records (:func:`records.store.default_url`) and must exist:
a read command never creates an empty database for a mistyped path.

    lektrico-hil units
    lektrico-hil export --id 7 --format html --out 500123.html
    lektrico-hil lot-report --order PO-2026-001 --out reports/out/lot
    lektrico-hil failing "pwm duty at 16 A"
"""
from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from records import certificate
from records.lot import Selection, write_report
from records.store import RecordNotFound, Store, masked, open_store, url_of

USAGE_ERROR = 4
LOT_ATTACHMENT = "Lot report: yield and Cpk"
"""The name of the run-level attachment ``--alluredir`` adds (the lot report's HTML carries its plots inline)."""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the records' commands to ``lektrico-hil``'s sub-parsers."""
    export = subparsers.add_parser("export", help="one EOL record as JSON or a printable HTML certificate")
    _db(export)
    export.add_argument("--id", type=int, required=True, help="the record's id (see `units`)")
    export.add_argument("--format", choices=("json", "html"), default="json")
    export.add_argument("--out", type=Path, default=None, help="file to write (default: standard output)")
    export.set_defaults(func=cmd_export)

    lot = subparsers.add_parser("lot-report", help="yield, distributions and Cpk across units (HTML, JSON, PNG)")
    _db(lot)
    lot.add_argument("--order", default=None, help="only the units of this production order")
    lot.add_argument("--since", type=_instant, default=None, help="first attempt at or after (UTC date or ISO time)")
    lot.add_argument("--until", type=_instant, default=None, help="first attempt before (UTC date or ISO time)")
    lot.add_argument("--out", type=Path, required=True, help="directory for lot-report.html/.json and plots/")
    lot.add_argument("--alluredir", type=Path, default=None,
                     help="also put the lot report on the overview of the Allure report built from this results "
                          "directory (a run-level attachment: yield, the Cpk table and the plots)")
    lot.set_defaults(func=cmd_lot_report)

    failing = subparsers.add_parser("failing", help="the units that failed a given measurement")
    _db(failing)
    failing.add_argument("measurement", help="the measurement's name, as in the record (see `export`)")
    failing.set_defaults(func=cmd_failing)

    units = subparsers.add_parser("units", help="every unit with its attempts and verdicts")
    _db(units)
    units.set_defaults(func=cmd_units)


def _db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=None, metavar="PATH|URL",
                        help="records database: a SQLite path or a SQLAlchemy URL "
                             "(default: $LEKTRICO_HIL_DB, else the user's data directory)")


def _instant(text: str) -> datetime:
    """A UTC date (midnight) or an ISO time with its offset, for --since/--until."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=timezone.utc)
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD) or an ISO time") from None
    if instant.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset (write it as ...Z)")
    return instant


def _open(args: argparse.Namespace, err: TextIO) -> Store | None:
    try:
        return open_store(args.db, create=False)
    except FileNotFoundError as error:
        print(f"lektrico-hil {args.command_name}: {error}", file=err)
    except Exception as error:  # noqa: BLE001  (a database that cannot be opened: one line, no traceback)
        print(f"lektrico-hil {args.command_name}: cannot open {masked(url_of(args.db))}: "
              f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}", file=err)
    return None


def _name(args: argparse.Namespace, name: str) -> None:
    if not hasattr(args, "command_name"):
        args.command_name = name


def cmd_export(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    _name(args, "export")
    store = _open(args, err)
    if store is None:
        return USAGE_ERROR
    with store:
        try:
            text = store.export_json(args.id) if args.format == "json" else certificate.render(store.record(args.id))
        except RecordNotFound as error:
            print(f"lektrico-hil export: {error.args[0]}", file=err)
            return USAGE_ERROR
    if args.out is None:
        out.write(text)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}", file=out)
    return 0


def cmd_lot_report(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    _name(args, "lot-report")
    store = _open(args, err)
    if store is None:
        return USAGE_ERROR
    selection = Selection(order=args.order, since=args.since, until=args.until)
    with store:
        report = write_report(store, args.out, selection)
    lot = report.lot
    y = lot.yields
    fpy = "n/a" if y.first_pass_yield is None else f"{100 * y.first_pass_yield:.1f} %"
    final = "n/a" if y.final_yield is None else f"{100 * y.final_yield:.1f} %"
    print(f"{selection.describe()}: {y.units} units, first-pass yield {fpy}, final yield {final}, "
          f"{y.retests} retests, {y.error_attempts} bench faults", file=out)
    for d in lot.distributions:
        basis = "" if d.basis == "as measured" else f" ({d.basis})"
        print(f"  {d.name + basis:<40} {d.limits:<24} n={d.capability.n:<4} Cpk {d.capability.text}", file=out)
    print(f"wrote {report.html} and {report.json}", file=out)
    if args.alluredir is not None:
        from reports.allure_support import write_global_attachment  # pytest and allure: only when asked for
        args.alluredir.mkdir(parents=True, exist_ok=True)
        write_global_attachment(args.alluredir, LOT_ATTACHMENT, report.html.read_text(encoding="utf-8"),
                                "text/html", "html")
        print(f"added '{LOT_ATTACHMENT}' to the Allure results in {args.alluredir}", file=out)
    return 0


def cmd_failing(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    _name(args, "failing")
    store = _open(args, err)
    if store is None:
        return USAGE_ERROR
    with store:
        names = store.measurement_names()
        rows = store.failing(args.measurement)
    if args.measurement not in names:
        near = [n for n in names if args.measurement.lower() in n.lower()]
        hint = f"; did you mean: {', '.join(near)}" if near else f"; known: {', '.join(names) or 'none'}"
        print(f"lektrico-hil failing: no measurement named {args.measurement!r} in the records{hint}", file=err)
        return USAGE_ERROR
    print(f"{len(rows)} attempt(s) failed {args.measurement!r}", file=out)
    if rows:
        print(f"{'serial':<16} {'id':>5} {'attempt':>7} {'started (UTC)':<25} {'value':>12} {'limits':<22} "
              f"{'margin':>9} {'latest':<6} station", file=out)
    for r in rows:
        value = r.value_text if r.value is None else f"{r.value:g} {r.unit}".strip()
        low = "-inf" if r.low is None else f"{r.low:g}"
        high = "+inf" if r.high is None else f"{r.high:g}"
        margin = "—" if r.margin is None else f"{r.margin:g}"
        print(f"{r.serial:<16} {r.test_id:>5} {r.attempt:>7} {r.started_utc:<25} {value!s:>12} "
              f"{f'[{low}, {high}] {r.unit}':<22} {margin:>9} {r.final_verdict:<6} {r.station}", file=out)
    return 0


def cmd_units(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    _name(args, "units")
    store = _open(args, err)
    if store is None:
        return USAGE_ERROR
    with store:
        units = store.units()
        where = store.url
    print(f"{len(units)} unit(s) in {where}", file=out)
    if units:
        print(f"{'serial':<16} {'attempts':>8} {'first':<6} {'last':<6} {'last id':>7} "
              f"{'last started (UTC)':<25} order", file=out)
    for u in units:
        print(f"{u.serial:<16} {u.attempts:>8} {u.first_verdict:<6} {u.last_verdict:<6} {u.last_test_id:>7} "
              f"{u.last_started_utc:<25} {u.order_id}", file=out)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (``python -m records.commands ...``) until station/cli.py wires these in."""
    parser = argparse.ArgumentParser(prog="lektrico-hil")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args: Any = parser.parse_args(argv)
    args.command_name = args.command
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
