"""``lektrico-hil``: the production line's console command.

    lektrico-hil eol --serial 500123            # test one unit (or scan it: the serial from stdin)
    lektrico-hil eol --db postgresql+psycopg://eol@db/lektrico --station line1-eol1 --operator jdoe
    lektrico-hil units | export | lot-report | failing    # the records (records/commands.py)

``eol`` exits 0 PASS, 1 FAIL, 3 ERROR (a bench fault: no verdict on the unit), 4 a usage error.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from station.eol_flow import DEFAULT_BENCH, USAGE, EolRequest, UsageError, eol


def _time_scale(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"a positive number of device seconds per wall second, not {text}")
    return value


def add_eol(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("eol", help="end-of-line test of one unit: live steps, PASS/FAIL, stored record",
                                   description="Test one unit on the EOL station.  Without --serial the serial is "
                                               "read from the barcode scanner (one line on stdin).")
    parser.add_argument("--serial", default=None, help="the serial number scanned on the unit (else one stdin line)")
    parser.add_argument("--db", default=None, help="records database: a SQLite path or a SQLAlchemy URL "
                                                   "(default: $LEKTRICO_HIL_DB, else the user's data directory)")
    parser.add_argument("--time-scale", type=_time_scale, default=None,
                        help="device seconds per wall second (virtual bench only; default 1: real time)")
    parser.add_argument("--bench", type=Path, default=DEFAULT_BENCH, help=f"bench profile (default {DEFAULT_BENCH.name})")
    parser.add_argument("--order", type=Path, default=None, help="production order (default benches/production-order.toml)")
    parser.add_argument("--station", default=None, help="this station's name (default $LEKTRICO_STATION, the order's)")
    parser.add_argument("--operator", default=None, help="the operator (default $LEKTRICO_OPERATOR, the login name)")
    parser.add_argument("--defect", action="append", default=[], metavar="NAME",
                        help="virtual bench only: start the virtual unit with a catalogued firmware defect (repeatable)")
    parser.add_argument("--runs-dir", type=Path, default=None,
                        help="where each attempt's record, events and pytest log go (default: the user's data directory)")
    parser.set_defaults(func=_run_eol)


def _run_eol(args: Any, stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    stdin, out = stdin or sys.stdin, out or sys.stdout
    request = EolRequest(args.serial, args.db, args.bench, args.order, args.time_scale, args.station, args.operator,
                         list(args.defect), args.runs_dir, colour=out.isatty())
    try:
        return eol(request, stdin, out)
    except UsageError as error:
        print(f"lektrico-hil eol: {error}", file=sys.stderr)
        return USAGE


def parser(records: bool = True) -> argparse.ArgumentParser:
    """The command line; ``records=False`` leaves out the records' sub-commands (records/commands.py), whose
    plotting imports cost a second: ``lektrico-hil eol`` is the line's hot path, run once per unit."""
    made = argparse.ArgumentParser(prog="lektrico-hil", description="The Lektri.co 1P7K production line's station.")
    sub = made.add_subparsers(dest="command", required=True)
    add_eol(sub)
    if records:
        from records.commands import register  # noqa: PLC0415 - the records' own sub-commands

        register(sub)
    return made


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = parser(records=argv[:1] != ["eol"]).parse_args(argv)
    except SystemExit as usage:   # argparse: --help (0) or a usage error (2 -> 4, the project's usage code)
        return 0 if usage.code in (0, None) else USAGE
    args.command_name = args.command
    try:
        return int(args.func(args))
    except BrokenPipeError:  # `lektrico-hil units | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's recipe: no error at exit flush
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
