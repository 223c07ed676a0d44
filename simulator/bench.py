"""Assemble the virtual bench: one clock, one physical model, the charger and the instrument twins.

Every part listens on its own loopback port, so a suite reaches the virtual bench exactly as it
reaches a real one: HTTP for the charger, serial URLs for the EV simulator and the climate chamber,
VISA resources for the power analyzer, the AC load, the calibrator, the AC source and the relay box.
Every twin runs on every bench; the profile decides which ones play a role.
"""
from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from simulator.clock import DeviceClock
from simulator.defects import ActiveDefects
from simulator.firmware.charger import VirtualCharger
from simulator.firmware.timing import FirmwareTiming
from simulator.http_auth import HttpAuth
from simulator.http_server import ChargerHttpServer
from simulator.misbehaviour import Cue, Misbehaviour
from simulator.physics.model import PhysicalModel
from simulator.readings import ActiveReadings
from simulator.twins.ac_load import AcLoadTwin
from simulator.twins.ac_source import AcSourceTwin
from simulator.twins.climate_chamber import ClimateChamberTwin
from simulator.twins.ev_simulator import EvSimulatorTwin
from simulator.twins.j1772_remote import J1772RemoteTwin
from simulator.twins.power_analyzer import PowerAnalyzerTwin
from simulator.twins.relay_box import RelayBoxTwin
from simulator.twins.residual_source import ResidualSourceTwin

TICK_WALL_S = 0.002
# The relay box's wiring on the virtual bench (instruments/fault_injection/keysight_34970a.py): the
# channels the profiles name as welded_channel / stuck_open_channel.
WELDED_CHANNEL = 101
STUCK_OPEN_CHANNEL = 102


@dataclass(frozen=True)
class Endpoints:
    """What a bench profile needs to reach the virtual bench (printed as the ready line)."""

    charger_url: str
    ev_simulator_url: str
    power_analyzer_resource: str
    j1772_url: str                  # the J1772 EV Sim Remote twin (a composite bench's CP board)
    ac_load_resource: str           # the Chroma 63800 AC load twin
    residual_source_resource: str   # the Fluke 5522A calibrator twin
    ac_source_resource: str         # the Keysight AC6801B AC source twin (the charger's supply)
    relay_box_resource: str         # the Keysight 34972A + 34903A relay box twin (contactor faults)
    chamber_url: str                # the ESPEC SH-241 climate chamber twin
    time_scale: float


class VirtualBench:
    def __init__(self, state_dir: Path, *, time_scale: float = 1.0, defects: tuple[str, ...] = (),
                 serial_number: int = 500006, pin: str = "1234", host: str = "127.0.0.1",
                 auth: HttpAuth | None = None, readings: ActiveReadings | None = None,
                 latency_s: float = 0.0, near_limit: bool = False, ev_side: str = "box",
                 calendar_start: datetime | None = None, misbehaviour: tuple[Cue, ...] = ()) -> None:
        self.host = host
        self.readings = readings or ActiveReadings()
        self.latency_s = latency_s    # each HTTP request is answered this many wall seconds late
        self.near_limit = near_limit  # reaction times, PWM and meter just inside every limit
        self.clock = DeviceClock(time_scale)
        self.model = PhysicalModel(self.clock)
        if near_limit:
            near_limit_instruments(self.model)
        # "box": our EV simulator, whose load decodes the PWM like an EV; "composite": a lab's CP board
        # and a plain electronic load that draws what it is set to (the rig makes it follow the PWM).
        self.ev_side = ev_side
        self.model.load.follows_pwm = ev_side != "composite"
        self.state_dir = state_dir
        self.charger = VirtualCharger(self.model, state_dir, serial_number=serial_number, pin=pin,
                                      defects=ActiveDefects(defects), host_ip=host, readings=self.readings,
                                      timing=FirmwareTiming.near_limit() if near_limit else None)
        # The charger's UTC calendar at device time 0: as given, else the host's UTC now (at device time 0).
        self.charger.controller.calendar_start = calendar_start or \
            datetime.now(timezone.utc) - timedelta(seconds=self.clock.now())
        # Transport faults on cue (--misbehave), on the bench's device clock.
        self.misbehaviour = Misbehaviour(misbehaviour, self.clock.now)
        self.http = ChargerHttpServer(self.charger, host, auth=auth, latency_s=latency_s,
                                      misbehaviour=self.misbehaviour)
        self.ev_twin = EvSimulatorTwin(self.model)
        self.analyzer_twin = PowerAnalyzerTwin(self.model)
        self.j1772_twin = J1772RemoteTwin(self.model)
        self.ac_load_twin = AcLoadTwin(self.model)
        self.residual_twin = ResidualSourceTwin(self.model)
        self.ac_source_twin = AcSourceTwin(self.model)
        self.relay_box_twin = RelayBoxTwin(self.model, welded_channel=WELDED_CHANNEL,
                                           stuck_open_channel=STUCK_OPEN_CHANNEL)
        self.chamber_twin = ClimateChamberTwin(self.model)
        self._ticker: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"VirtualBench(near_limit={self.near_limit}, readings={self.readings})"

    def calendar(self) -> dict[str, str | float]:
        """The bench's declared calendar, as a lab declares its NTP source: the charger's UTC calendar
        (``calendar_utc``, ISO 8601 with microseconds and Z) and the host's ``time.time()`` at the same
        moment (``calendar_unix``).  A suite on this host places the charger's calendar at any later moment
        as ``calendar_utc + (time.time() - calendar_unix) * time_scale``."""
        device_now, unix = self.clock.now(), time.time()
        utc = self.charger.controller.calendar_utc(device_now)
        return {"calendar_utc": utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "calendar_unix": unix}

    async def start(self, charger_port: int = 0, ev_port: int = 0, analyzer_port: int = 0) -> Endpoints:
        self.http.port = charger_port
        port = await self.http.start()
        ev = await self.ev_twin.start(self.host, ev_port)
        analyzer = await self.analyzer_twin.start(self.host, analyzer_port)
        j1772 = await self.j1772_twin.start(self.host, 0)
        ac_load = await self.ac_load_twin.start(self.host, 0)
        residual = await self.residual_twin.start(self.host, 0)
        ac_source = await self.ac_source_twin.start(self.host, 0)
        relay_box = await self.relay_box_twin.start(self.host, 0)
        chamber = await self.chamber_twin.start(self.host, 0)
        self._ticker = asyncio.get_running_loop().create_task(self._tick())
        return Endpoints(f"http://{self.host}:{port}", f"socket://{self.host}:{ev}",
                         f"TCPIP::{self.host}::{analyzer}::SOCKET", f"socket://{self.host}:{j1772}",
                         f"TCPIP::{self.host}::{ac_load}::SOCKET", f"TCPIP::{self.host}::{residual}::SOCKET",
                         f"TCPIP::{self.host}::{ac_source}::SOCKET", f"TCPIP::{self.host}::{relay_box}::SOCKET",
                         f"socket://{self.host}:{chamber}", self.clock.time_scale)

    async def _tick(self) -> None:
        """The firmware's main loop: react to the line and run deferred work (a pending reboot)."""
        while True:
            if not self.http.rebooting:
                self.model.advance()
                self.charger.poll_reboot()
            await asyncio.sleep(TICK_WALL_S)

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        for twin in (self.chamber_twin, self.relay_box_twin, self.ac_source_twin, self.residual_twin,
                     self.ac_load_twin, self.j1772_twin, self.analyzer_twin):
            await twin.stop()
        await self.ev_twin.stop()
        await self.http.stop()
        self.write_ledger()

    def write_ledger(self) -> None:
        """The delays the firmware took, for comparing a real-time run's wall time against."""
        ledger = [asdict(r) for r in self.charger.controller.s.ledger]
        (self.state_dir / "ledger.json").write_text(json.dumps(ledger))


NEAR_LIMIT_SOURCE_V = 11.5      # CP generator −4.2 % of 12 V (±5 % allowed, field-facts §2)
NEAR_LIMIT_EV_REACTION_S = 4.5  # the EV follows a lower PWM current in 4.5 s of 5 s (field-facts §4)


def near_limit_instruments(model: PhysicalModel) -> None:
    """The physical side of a near-limit bench: a CP generator near the bottom of its ±5 % tolerance,
    a little PWM jitter, and an EV that takes nearly its whole allowed time to follow a lower current
    (the firmware's side is ``FirmwareTiming.near_limit``)."""
    model.pilot.source_v = NEAR_LIMIT_SOURCE_V
    model.pilot.noise = True
    model.load.reaction_s = NEAR_LIMIT_EV_REACTION_S
