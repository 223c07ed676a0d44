"""The EV Sim Remote twin: its counting of one second from CP levels (no clock, exact), its command
bytes, and the twin reached through the real adapter over ``socket://`` at time scale 20 (a frame
every 50 ms wall).  Waits poll against deadlines; none sleeps a fixed time."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from instruments.ev_simulator.j1772_remote import (
    J1772EvSimRemote,
    J1772RemoteLinkError,
    adc_to_volts,
    measurement_from_counts,
    parse_frame,
)
from simulator.clock import DeviceClock
from simulator.physics.control_pilot import EvSideLoad, PilotGenerator, PilotLevels, PilotMode, line_levels
from simulator.physics.model import PhysicalModel
from simulator.twins.j1772_remote import BOARD_SAMPLE_RATE_HZ, J1772RemoteTwin, SecondStatistics, adc_for
from tests.scpi_twins import wait_until
from tests.twin_loop import twin_on_loopback

TIME_SCALE = 20
DUTY_RESOLUTION_PERCENT = 100.0 / BOARD_SAMPLE_RATE_HZ  # one board sample of a second
LEVEL_RESOLUTION_V = 0.016  # half an ADC count (32 mV)
TWIN_SKEW_S = 0.01  # loopback delivery and the reader thread's wake-up


def one_second(*parts: tuple[PilotLevels, float], look_s: float = 0.02) -> SecondStatistics:
    """A second made of (levels, seconds) parts, looked at every ``look_s`` as the twin does."""
    second = SecondStatistics()
    for levels, duration in parts:
        for _ in range(round(duration / look_s)):
            second.add(levels, look_s)
    return second


def pwm(duty: float, state: str = "C") -> PilotLevels:
    return line_levels(PilotGenerator(mode=PilotMode.PWM, duty=duty), EvSideLoad(state=state))


def steady(mode: PilotMode, state: str = "A") -> PilotLevels:
    return line_levels(PilotGenerator(mode=mode), EvSideLoad(state=state))


# --- one second of statistics (no clock) ------------------------------------------------------
def test_a_16a_pwm_in_state_c_counts_as_the_board_would() -> None:
    levels = pwm(0.2667)
    text = one_second((levels, 1.0)).frame("C")
    assert text == "{ state=C, state_changes=2000, low_count=7040, high_count=2560, low_adc=181, high_adc=743 }"
    state, counts = parse_frame(text)  # the adapter reads back what the twin wrote
    cp = measurement_from_counts(**counts)
    assert state == "C" and cp.frequency_hz == 1000.0
    assert cp.duty_percent == pytest.approx(26.67, abs=DUTY_RESOLUTION_PERCENT)
    assert cp.high_v == pytest.approx(levels.high_v, abs=LEVEL_RESOLUTION_V)
    assert cp.low_v == pytest.approx(-12.0, abs=LEVEL_RESOLUTION_V)


@pytest.mark.parametrize(("parts", "expected"), [
    ([(PilotMode.DC_HIGH, 1.0)], "state_changes=0, low_count=0, high_count=9600, low_adc=931, high_adc=931"),
    ([(PilotMode.DC_NEGATIVE, 1.0)], "state_changes=0, low_count=9600, high_count=0, low_adc=181, high_adc=181"),
    ([(PilotMode.DC_HIGH, 0.5), (PilotMode.DC_NEGATIVE, 0.5)],
     "state_changes=1, low_count=4800, high_count=4800, low_adc=181, high_adc=931"),
])
def test_a_steady_line_does_not_switch(parts: list[tuple[PilotMode, float]], expected: str) -> None:
    second = one_second(*((steady(mode), duration) for mode, duration in parts))
    assert second.frame("A") == f"{{ state=A, {expected} }}"


def test_a_zero_volt_line_counts_high_as_the_firmware_threshold_does() -> None:
    """ev_sim.c: ``analog < 556`` is low, so 0 V (a CP-PE short from another instrument) is high."""
    text = one_second((PilotLevels(0, 0, 0, 0), 1.0)).frame("A")
    assert "low_count=0, high_count=9600, low_adc=556, high_adc=556" in text


def test_a_second_straddling_a_duty_change_is_a_mix() -> None:
    """The module docstring's example: 10 % for 0.3 s then 50 % reads 0.3 x 10 + 0.7 x 50 = 38 %."""
    _, counts = parse_frame(one_second((pwm(0.10), 0.3), (pwm(0.50), 0.7)).frame("C"))
    assert measurement_from_counts(**counts).duty_percent == pytest.approx(38.0, abs=DUTY_RESOLUTION_PERCENT)


def test_peak_levels_are_the_extremes_of_the_second() -> None:
    _, counts = parse_frame(one_second((pwm(0.5, "B"), 0.5), (pwm(0.5, "C"), 0.5)).frame("C"))
    assert adc_to_volts(counts["high_adc"]) == pytest.approx(pwm(0.5, "B").high_v, abs=LEVEL_RESOLUTION_V)


def test_adc_is_clamped_to_ten_bits() -> None:
    assert (adc_for(20.0), adc_for(-20.0), adc_for(0.0), adc_for(9.216)) == (1023, 0, 556, 844)


# --- command bytes -----------------------------------------------------------------------------
class ManualClock:
    t = 1.0

    def now(self) -> float:
        return self.t


def test_command_bytes_as_the_firmware_takes_them() -> None:
    model = PhysicalModel(ManualClock())  # type: ignore[arg-type]  # only now() is used
    twin = J1772RemoteTwin(model)
    twin.command(b"c\r\n ?x")
    assert (twin.state, model.ev.state, twin.bytes_ignored) == ("C", "C", 5)
    twin.command(bytes([ord("D") | 0x80]))  # the firmware strips bit 7 ("remove parity")
    assert (twin.state, model.ev.state) == ("D", "D")
    twin.command(b"E\x01F")  # no E/F on this board: ignored like any other byte
    assert (twin.state, model.ev.state, twin.bytes_ignored) == ("D", "D", 8)


# --- through the adapter over socket:// --------------------------------------------------------
# One twin, one loop and one adapter for the module (pyserial's socket:// close() sleeps 0.3 s);
# each test starts from the safe state, forced rather than trusted.
@dataclass
class Loopback:
    model: PhysicalModel
    twin: J1772RemoteTwin
    remote: J1772EvSimRemote
    loop: asyncio.AbstractEventLoop


@pytest.fixture(scope="module")
def loopback_twin() -> Iterator[Loopback]:
    model = PhysicalModel(DeviceClock(time_scale=TIME_SCALE))
    twin = J1772RemoteTwin(model)
    with twin_on_loopback(twin) as (port, loop):
        remote = J1772EvSimRemote.from_resource({"url": f"socket://127.0.0.1:{port}", "timeout_s": 1.0,
                                                 "frame_skew_s": TWIN_SKEW_S})
        try:
            yield Loopback(model, twin, remote, loop)
        finally:
            remote.close()


@pytest.fixture
def bench(loopback_twin: Loopback) -> Loopback:
    """State A, the charger's PWM off."""
    loopback_twin.remote.cp_safe()
    loopback_twin.model.set_pilot(PilotMode.DC_HIGH, 1.0)
    wait_until("state A at the model", lambda: loopback_twin.model.ev.state, lambda s: s == "A")
    return loopback_twin


def test_state_letters_reach_the_model_and_the_frames(bench: Loopback) -> None:
    remote, model = bench.remote, bench.model
    for letter in "BCDA":
        t = time.monotonic()
        remote.set_state(letter)
        wait_until(f"state {letter} at the model", lambda: model.ev.state, lambda s, want=letter: s == want)
        assert model.adc()[0] == letter, "the charger's CP ADC sees the board's resistor"
        frame = remote.wait_for_frame_after(t, timeout_s=2.0, state=letter)
        assert frame.state == letter


def test_pwm_in_state_c_within_the_boards_resolution(bench: Loopback) -> None:
    remote, model = bench.remote, bench.model
    remote.set_state("C")
    wait_until("state C at the model", lambda: model.ev.state, lambda s: s == "C")
    model.set_pilot(PilotMode.PWM, 0.2667)  # 16 A advertised (field-facts §3)
    t = time.monotonic()
    sample = remote.sample_cp_after(t, timeout_s=3.0)
    line = model.cp_levels()
    assert sample.window[0] > t
    assert sample.cp.frequency_hz == pytest.approx(1000.0, abs=0.5)
    assert sample.cp.duty_percent == pytest.approx(26.67, abs=DUTY_RESOLUTION_PERCENT)
    assert sample.cp.high_v == pytest.approx(line.high_v, abs=LEVEL_RESOLUTION_V)
    assert sample.cp.low_v == pytest.approx(line.low_v, abs=LEVEL_RESOLUTION_V)


def test_steady_state_a_reads_no_frequency_full_duty(bench: Loopback) -> None:
    sample = bench.remote.sample_cp_after(time.monotonic(), timeout_s=3.0)
    assert (sample.cp.frequency_hz, sample.cp.duty_percent) == (0.0, 100.0)
    assert sample.cp.high_v == sample.cp.low_v == pytest.approx(12.0, abs=LEVEL_RESOLUTION_V)


def test_the_first_frame_after_a_change_is_a_mix_the_next_is_clean(bench: Loopback) -> None:
    remote, model = bench.remote, bench.model
    remote.set_state("C")
    model.set_pilot(PilotMode.PWM, 0.10)
    before = remote.sample_cp_after(time.monotonic(), timeout_s=3.0).cp.duty_percent
    model.set_pilot(PilotMode.PWM, 0.50)
    t = time.monotonic()
    mixed = remote.wait_for_frame_after(t, timeout_s=2.0).measurement().duty_percent
    clean = remote.sample_cp_after(t, timeout_s=3.0).cp.duty_percent
    tol = DUTY_RESOLUTION_PERCENT
    assert before == pytest.approx(10.0, abs=tol)
    assert 10.0 - tol <= mixed <= 50.0 + tol
    assert clean == pytest.approx(50.0, abs=tol)


def test_frames_keep_coming_once_a_device_second(bench: Loopback) -> None:
    remote = bench.remote
    start = remote.frames_received
    wait_until("ten more frames", lambda: remote.frames_received, lambda n: n >= start + 10)
    frames = remote.recent_frames()
    arrivals = [f.arrived_at for f in frames]
    assert arrivals == sorted(arrivals)
    assert all(f.window == (p.arrived_at - TWIN_SKEW_S, f.arrived_at) for p, f in zip(frames, frames[1:]))
    assert remote.resolution_s == pytest.approx(1.0 / TIME_SCALE + TWIN_SKEW_S, abs=0.03)
    assert remote.frames_malformed == 0 and remote.bytes_skipped == 0
    assert bench.twin.failure is None
    assert "frames received" in remote.identify()


def test_a_stopped_twin_is_a_link_error(loopback_twin: Loopback) -> None:
    """A board unplugged mid-session is a bench fault at the next reading, not a stale value."""
    loop = loopback_twin.loop
    twin = J1772RemoteTwin(PhysicalModel(DeviceClock(time_scale=TIME_SCALE)))
    port = asyncio.run_coroutine_threadsafe(twin.start(), loop).result(timeout=2)
    remote = J1772EvSimRemote.open(f"socket://127.0.0.1:{port}", timeout_s=1.0, frame_skew_s=TWIN_SKEW_S)
    try:
        remote.sample_cp()
        asyncio.run_coroutine_threadsafe(twin.stop(), loop).result(timeout=2)
        wait_until("the adapter to see the link drop", lambda: remote._link_error, lambda e: e is not None)
        with pytest.raises(J1772RemoteLinkError, match="socket disconnected"):
            remote.sample_cp()
    finally:
        remote.close()
