"""``python -m simulator``: run the virtual bench on loopback until interrupted.

Prints one JSON "ready" line with the endpoints (charger URL, the EV simulator's and the climate
chamber's serial URLs, the VISA resources of the power analyzer, AC load, calibrator, AC source and
relay box: the keys of :class:`simulator.bench.Endpoints`) so a launcher (the pytest bench fixture, or
a person) knows where to go; each key fills the ``{key}`` placeholders of a bench profile.  It also
declares the charger's calendar (``calendar_utc``, ``calendar_unix``: :meth:`VirtualBench.calendar`),
as a lab declares its NTP source, so a suite can time the charging schedule's minute boundaries.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import tempfile
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from simulator.bench import Endpoints, VirtualBench
from simulator.http_auth import HttpAuth
from simulator.defects import CATALOGUE
from simulator.misbehaviour import cue_argument, describe
from simulator.readings import SWITCHES, ActiveReadings, UnknownReading, from_arguments


def calendar_start(text: str) -> datetime | None:
    """``--calendar-start``: ``now`` (None: the host's UTC now at device time 0) or an ISO 8601 instant,
    ``Z`` or an offset, a naive one taken as UTC (the charger's calendar is UTC, NTP-synced)."""
    if text.strip().lower() == "now":
        return None
    try:
        instant = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 instant (or now): {text!r}") from None
    if instant.tzinfo is None:
        return instant.replace(tzinfo=timezone.utc)
    return instant.astimezone(timezone.utc)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="charger HTTP port (0: any free port)")
    parser.add_argument("--ev-port", type=int, default=0, help="EV simulator twin TCP port")
    parser.add_argument("--analyzer-port", type=int, default=0, help="power analyzer twin TCP port")
    parser.add_argument("--time-scale", type=float, default=1.0, help="device seconds per wall second")
    parser.add_argument("--defect", action="append", default=[], choices=sorted(CATALOGUE),
                        metavar="NAME", help="start with a catalogued firmware defect (repeatable)")
    parser.add_argument("--state-dir", type=Path, default=None, help="where the charger keeps its flash")
    parser.add_argument("--serial-number", type=int, default=500006)
    parser.add_argument("--pin", default="1234", help="the PIN the charger starts with")
    parser.add_argument("--provision", action="append", default=[], metavar="KEY=VALUE",
                        help="application key set by the installer before first use (repeatable)")
    parser.add_argument("--auth", default=None, metavar="USER:PASSWORD",
                        help="require HTTP Digest (realm RPC) or Basic credentials; default: none")
    parser.add_argument("--reading", action="append", default=[], metavar="NAME=SLUG",
                        help="take this reading of a spec ambiguity (repeatable; --list-readings)")
    parser.add_argument("--readings", action="append", default=[], metavar="PRESET",
                        help="default | alternative | alternative:N | random:SEED (applied before --reading)")
    parser.add_argument("--latency", type=float, default=0.0, metavar="S",
                        help="wall seconds the charger takes to answer each request (a charger on Wi-Fi: 0.1)")
    parser.add_argument("--misbehave", action="append", default=[], type=cue_argument,
                        metavar="KIND[=VALUE]@AFTER[:FOR]",
                        help="misbehave on cue (repeatable): stall, slow=S, truncated, garbage, http_5xx, refused, "
                             "reboot, after N requests or Ns device seconds, for N requests or Ns (default: for "
                             "ever); e.g. stall@40, refused@10s:5s (simulator/misbehaviour.py)")
    parser.add_argument("--near-limit", action="store_true",
                        help="a correct charger with its reaction times, PWM and meter just inside every limit")
    parser.add_argument("--ev-side", choices=("box", "composite"), default="box",
                        help="box: our EV simulator (its load decodes the PWM); composite: a lab's CP board, "
                             "plain AC load and calibrator (benches/virtual-composite.toml)")
    parser.add_argument("--calendar-start", type=calendar_start, default=None, metavar="ISO|now",
                        help="the charger's UTC calendar at device time 0, e.g. 2026-12-06T23:59:00Z (default: "
                             "now, the host's UTC time); the ready line declares it (calendar_utc, calendar_unix)")
    parser.add_argument("--list-defects", action="store_true", help="print the defect catalogue and exit")
    parser.add_argument("--list-readings", action="store_true", help="print the reading switches and exit")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    state_dir = args.state_dir or Path(tempfile.mkdtemp(prefix="lektrico-virtual-"))
    readings = from_arguments(args.readings, args.reading)
    bench = VirtualBench(state_dir, time_scale=args.time_scale, defects=tuple(args.defect),
                         serial_number=args.serial_number, pin=args.pin, host=args.host,
                         auth=HttpAuth(*args.auth.split(":", 1)) if args.auth else None,
                         readings=readings, latency_s=args.latency, near_limit=args.near_limit,
                         ev_side=args.ev_side, calendar_start=args.calendar_start,
                         misbehaviour=tuple(args.misbehave))
    for item in args.provision:
        key, _, value = item.partition("=")
        bench.charger.provision(key, value)
    endpoints = await bench.start(args.port, args.ev_port, args.analyzer_port)
    print(json.dumps(ready_line(bench, endpoints, args, readings)), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await bench.stop()


def ready_line(bench: VirtualBench, endpoints: Endpoints, args: argparse.Namespace,
               readings: ActiveReadings) -> dict[str, Any]:
    """The ready line: where everything is, what the charger runs with, and its calendar (taken last, so
    it is the moment the line is printed)."""
    return {"event": "ready", **asdict(endpoints), "defects": args.defect, "readings": readings.chosen,
            "near_limit": args.near_limit, "misbehaviour": describe(tuple(args.misbehave)), **bench.calendar()}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list_readings:
        for switch in SWITCHES.values():
            print(f"{switch.ambiguity:42} {' | '.join(switch.choices):50} {switch.summary}")
        return 0
    try:
        from_arguments(args.readings, args.reading)
    except UnknownReading as error:
        print(f"python -m simulator: {error}", file=sys.stderr)
        return 2
    if args.list_defects:
        for defect in CATALOGUE.values():
            print(f"{defect.name:38} {defect.area:12} {defect.summary}")
        return 0
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
