"""Simulated twin of the J1772 "EV Sim Remote" CP board (``instruments/ev_simulator/j1772_remote.py``),
over TCP (``socket://host:port`` for pyserial).

As the firmware (github.com/nsayer/ev_sim ``ev_sim.c``, December 2019) does, it takes single
characters (``A``-``D``, also lower case, bit 7 stripped; every other byte ignored, no reply) and,
unprompted, prints one frame per *device* second of raw pilot statistics, ending in CR LF:
``{ state=C, state_changes=2000, low_count=7040, high_count=2560, low_adc=181, high_adc=743 }``.

The statistics come from the shared :class:`PhysicalModel`'s CP line, looked at every
``sample_interval_s`` device seconds from the twin's own asyncio task (each look holds the model lock
only for one ``cp_levels()``) and integrated over the second as the board's ADC would count them:

* ``high_count`` / ``low_count``: samples at or above / below 0 V (firmware: ``analog < 556`` is low)
  at ``BOARD_SAMPLE_RATE_HZ``, time-weighted by the duty;
* ``state_changes``: zero crossings, 2 x the mean frequency over the second (only while the two
  levels lie on both sides of 0 V), plus one for a steady line that moved across 0 V;
* ``low_adc`` / ``high_adc``: the lowest / highest level seen, ``adc = round(mV / 32) + 556``
  clamped to 0..1023 (README: mV = (adc - 556) x 32).

A look stands for the interval since the previous look, so a change inside a second is placed to
within one look.  There is one board: one sampler, its frames sent to every connected client, its
state letter shared.
"""
from __future__ import annotations

import asyncio
import contextlib

from simulator.physics.control_pilot import PilotLevels
from simulator.physics.model import PhysicalModel
from simulator.twins.line_server import StreamServer

SAMPLE_S = 1.0  # the board's sampling window (device s; ev_sim.c SAMPLE_TICKS = 1000 ms)
# assumed: 16 MHz / 128 (ADC prescaler) / 13 cycles a conversion = 9615 conversions/s at most, less
# the sampling loop's own cycles; the README's example (150000 a second) is illustrative only.
BOARD_SAMPLE_RATE_HZ = 9600.0
SAMPLE_INTERVAL_S = 0.02  # device s between the twin's looks at the model (50 a second)
ZERO_ADC = 556  # the ADC reading at 0 V (README PILOT_READ_OFFSET -556)
MV_PER_COUNT = 32  # README PILOT_READ_SCALE
ADC_MAX = 1023
STATES = "ABCD"
MAX_UNREAD_BYTES = 64 * 1024  # a client this far behind is dropped rather than buffered forever


def adc_for(volts: float) -> int:
    """The board's 10-bit reading of a CP level."""
    return max(0, min(ADC_MAX, round(volts * 1000.0 / MV_PER_COUNT) + ZERO_ADC))


class SecondStatistics:
    """The counts of one sampling second, accumulated from held CP levels (no I/O, no clock)."""

    def __init__(self, sample_rate_hz: float = BOARD_SAMPLE_RATE_HZ) -> None:
        self.sample_rate_hz = sample_rate_hz
        self.high = 0.0
        self.low = 0.0
        self.changes = 0.0
        self.min_adc: int | None = None
        self.max_adc: int | None = None
        self._steady_high: bool | None = None  # which side of 0 V a steady line was last on

    def add(self, levels: PilotLevels, dt: float) -> None:
        """The line held at ``levels`` for ``dt`` device seconds."""
        if dt <= 0:
            return
        high_adc, low_adc = adc_for(levels.high_v), adc_for(levels.low_v)
        high_side, low_side = high_adc >= ZERO_ADC, low_adc >= ZERO_ADC
        duty = min(max(levels.duty, 0.0), 1.0)
        share_high = duty * high_side + (1.0 - duty) * low_side
        samples = self.sample_rate_hz * dt
        self.high += samples * share_high
        self.low += samples * (1.0 - share_high)
        seen = ([high_adc] if duty > 0 else []) + ([low_adc] if duty < 1 else [])
        self.min_adc = min(seen + ([] if self.min_adc is None else [self.min_adc]))
        self.max_adc = max(seen + ([] if self.max_adc is None else [self.max_adc]))
        if levels.frequency_hz > 0 and 0 < duty < 1 and high_side != low_side:
            self.changes += 2.0 * levels.frequency_hz * dt
            self._steady_high = None
        else:
            side = high_side if duty >= 0.5 else low_side
            if self._steady_high is not None and side != self._steady_high:
                self.changes += 1
            self._steady_high = side

    def carry_over(self) -> SecondStatistics:
        """A fresh second that remembers which side a steady line was on (for its first crossing)."""
        fresh = SecondStatistics(self.sample_rate_hz)
        fresh._steady_high = self._steady_high
        return fresh

    def frame(self, state: str) -> str:
        """The frame the board prints for this second (without CR LF)."""
        low_adc = ZERO_ADC if self.min_adc is None else self.min_adc
        high_adc = ZERO_ADC if self.max_adc is None else self.max_adc
        return (f"{{ state={state}, state_changes={round(self.changes)}, low_count={round(self.low)}, "
                f"high_count={round(self.high)}, low_adc={low_adc}, high_adc={high_adc} }}")


class J1772RemoteTwin(StreamServer):
    """The board: its command bytes (:meth:`command`), its sampler, and a TCP server around them
    (:class:`StreamServer`'s: raw bytes in, frames out to every client in ``_writers``)."""

    def __init__(self, model: PhysicalModel, *, sample_interval_s: float = SAMPLE_INTERVAL_S,
                 sample_rate_hz: float = BOARD_SAMPLE_RATE_HZ) -> None:
        if not 0 < sample_interval_s <= SAMPLE_S:
            raise ValueError(f"sample_interval_s must be in (0, {SAMPLE_S}], got {sample_interval_s}")
        super().__init__()
        self.model = model
        self.sample_interval_s = sample_interval_s
        self.sample_rate_hz = sample_rate_hz
        self.state = "A"  # the firmware's power-on state
        self.frames_sent = 0
        self.last_frame: str | None = None
        self.bytes_ignored = 0
        self.failure: Exception | None = None
        self._sampler: asyncio.Task[None] | None = None

    # --- the board ----------------------------------------------------------------------------
    def command(self, data: bytes) -> None:
        """Bytes from the host: ``A``-``D`` (any case, bit 7 stripped as the firmware does) switch the
        resistors; everything else (CR, LF, space, junk) is ignored without a reply."""
        for byte in data:
            letter = chr(byte & 0x7F).upper()
            if letter in STATES:
                self.state = letter
                self.model.set_ev_state(letter)
            else:
                self.bytes_ignored += 1

    async def _sample_forever(self) -> None:
        """Look at the line every ``sample_interval_s`` device seconds; at the end of each device
        second send its frame.  Wall sleeps are device intervals / ``time_scale``.

        Each look stands for the interval since the look before (a change is placed up to one look
        early, never late); a frame is sent at the look that ends its second and the next second starts
        with a look taken after that send, so every look a frame counts was taken after the previous
        frame was sent and before its own.  The adapter's window then holds with a ``frame_skew_s`` that
        covers only the loopback delivery and its reader thread's wake-up (0.01 s is ample).  After a
        stall of over a second the twin skips the lost time rather than sending a burst of frames whose
        windows would be too short.
        """
        clock = self.model.clock
        scale = float(getattr(clock, "time_scale", 1.0))
        second = SecondStatistics(self.sample_rate_hz)
        looked_at = clock.now()
        second_ends = looked_at + SAMPLE_S
        while True:
            wake = min(looked_at + self.sample_interval_s, second_ends)
            await asyncio.sleep(max(0.0, (wake - clock.now()) / scale))
            now = clock.now()
            levels = self.model.cp_levels()
            if now >= second_ends:
                second.add(levels, second_ends - looked_at)
                looked_at = second_ends
                self._send(second.frame(self.state))
                second = second.carry_over()
                second_ends += SAMPLE_S
                if now >= second_ends:  # stalled for over a second: this second starts now
                    looked_at, second_ends = now, now + SAMPLE_S
                levels = self.model.cp_levels()  # the new second counts no look taken before the send
            second.add(levels, now - looked_at)
            looked_at = now

    async def _sample_recording_failure(self) -> None:
        """The sampler, keeping what killed it (the host then sees a silent board, as with a real one)."""
        try:
            await self._sample_forever()
        except Exception as exc:
            self.failure = exc
            raise

    def _send(self, frame: str) -> None:
        self.last_frame = frame
        self.frames_sent += 1
        data = frame.encode("ascii") + b"\r\n"
        for writer in list(self._writers):
            if writer.is_closing() or writer.transport.get_write_buffer_size() > MAX_UNREAD_BYTES:
                self._writers.discard(writer)
                writer.close()
                continue
            writer.write(data)

    # --- the TCP server ----------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Power the board on (state A, as its firmware starts) and listen; returns the bound port."""
        self.state = "A"
        self.model.set_ev_state("A")
        bound = await super().start(host, port)
        self._sampler = asyncio.get_running_loop().create_task(self._sample_recording_failure())
        return bound

    async def stop(self) -> None:
        """Stop sampling, close the listener and every open connection."""
        if self._sampler is not None:
            self._sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._sampler
            self._sampler = None
        await super().stop()

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Bytes in as they come (no lines, no replies); the frames go out from the sampler."""
        while data := await reader.read(256):
            self.command(data)
