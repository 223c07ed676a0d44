"""The EV Sim Remote adapter against a scripted serial port: frames and garbage are fed in as the
board would send them (split anywhere, cut short, corrupted), commands are checked byte for byte.
No twin, no hardware; see tests/test_j1772_remote_twin.py for the twin."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from functools import partial

import pytest

from instruments.errors import BenchFault
from instruments.ev_simulator.interface import CpMeasurement
from instruments.ev_simulator.j1772_remote import (
    J1772EvSimRemote,
    J1772RemoteLinkError,
    J1772RemoteNoFrame,
    measurement_from_counts,
    parse_frame,
)
from instruments.roles import CpControl, CpMeter, CpSample
from tests import scpi_twins

wait_until = partial(scpi_twins.wait_until, timeout_s=2.0)  # this module's waits have always had 2 s
README_FRAME = b"{ state=A, state_changes=2000, low_count=50000, high_count=100000, low_adc=172, high_adc=844 }\r\n"


def frame(state: str = "C", changes: int = 2000, low: int = 7040, high: int = 2560,
          low_adc: int = 181, high_adc: int = 743) -> bytes:
    return (f"{{ state={state}, state_changes={changes}, low_count={low}, high_count={high}, "
            f"low_adc={low_adc}, high_adc={high_adc} }}\r\n").encode()


class ScriptedPort:
    """A serial port whose input the test feeds; ``read`` behaves like pyserial's with a timeout."""

    def __init__(self, timeout_s: float = 0.02) -> None:
        self.timeout_s = timeout_s
        self.written: list[bytes] = []
        self.closed = False
        self._buffer = bytearray()
        self._failure: Exception | None = None
        self._cond = threading.Condition()

    def feed(self, data: bytes) -> None:
        with self._cond:
            self._buffer += data
            self._cond.notify_all()

    def fail(self, exc: Exception) -> None:
        with self._cond:
            self._failure = exc
            self._cond.notify_all()

    def drained(self) -> bool:
        with self._cond:
            return not self._buffer

    @property
    def in_waiting(self) -> int:
        with self._cond:
            return len(self._buffer)

    def read(self, size: int = 1) -> bytes:
        with self._cond:
            self._cond.wait_for(lambda: self._buffer or self._failure, timeout=self.timeout_s)
            if self._failure is not None:
                raise self._failure
            data = bytes(self._buffer[:size])
            del self._buffer[:size]
            return data

    def write(self, data: bytes) -> int:
        self.written.append(bytes(data))
        return len(data)

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def port() -> ScriptedPort:
    return ScriptedPort()


@pytest.fixture
def remote(port: ScriptedPort) -> Iterator[J1772EvSimRemote]:
    """An adapter that has seen the README's frame (open waits for a first frame)."""
    port.feed(README_FRAME)
    adapter = J1772EvSimRemote(port, url="scripted://", frame_timeout_s=1.0, frame_skew_s=0.0)
    try:
        yield adapter
    finally:
        adapter.close()


def fed(remote: J1772EvSimRemote, port: ScriptedPort, *chunks: bytes) -> None:
    """Feed each chunk only once the adapter has read the one before (so frames really are split)."""
    for chunk in chunks:
        port.feed(chunk)
        wait_until("the adapter to read the chunk", port.drained, bool)


# --- conversion -------------------------------------------------------------------------------
def test_readme_frame_converts_as_documented(remote: J1772EvSimRemote) -> None:
    cp = remote.sample_cp().cp
    assert cp == CpMeasurement(frequency_hz=1000.0, duty_percent=pytest.approx(200 / 3),
                               high_v=pytest.approx(9.216), low_v=pytest.approx(-12.288))
    assert remote.recent_frames()[-1].state == "A"


@pytest.mark.parametrize(("counts", "expected"), [
    ((2000, 7040, 2560, 181, 743), (1000.0, 26.666666, 5.984, -12.0)),
    ((0, 0, 9600, 931, 931), (0.0, 100.0, 12.0, 12.0)),    # steady +12 V: only high samples
    ((0, 9600, 0, 181, 181), (0.0, 0.0, -12.0, -12.0)),    # steady -12 V: only low samples
    ((0, 0, 0, 556, 556), (0.0, 0.0, 0.0, 0.0)),           # no samples at all
    ((1961, 4800, 4800, 0, 1023), (980.5, 50.0, 14.944, -17.792)),  # odd crossings, ADC extremes
])
def test_measurement_from_counts(counts: tuple[int, ...], expected: tuple[float, ...]) -> None:
    cp = measurement_from_counts(*counts)
    assert (cp.frequency_hz, cp.duty_percent, cp.high_v, cp.low_v) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("text", [
    '{ state=A, state_changes=2000, low_count=50000, high_count=100000, low_adc=172, high_adc=844 }',
    '{ state="A", state_changes=2000, low_count=50000, high_count=100000, low_adc=172, high_adc=844 }',
    '{ state: "A", state_changes: 2000, low_count: 50000, high_count: 100000, low_adc: 172, high_adc: 844 }',
])
def test_parses_every_documented_spelling(text: str) -> None:
    assert parse_frame(text) == ("A", {"state_changes": 2000, "low_count": 50000, "high_count": 100000,
                                       "low_adc": 172, "high_adc": 844})


def test_first_firmware_frame_without_state_parses() -> None:
    state, counts = parse_frame("{ state_changes=2000, low_count=50000, high_count=100000, low_adc=172, high_adc=844 }")
    assert state is None and counts["high_adc"] == 844


# --- framing ----------------------------------------------------------------------------------
def test_frame_split_across_reads(remote: J1772EvSimRemote, port: ScriptedPort) -> None:
    fed(remote, port, b"{ state=B, state_chan", b"ges=2000, low_count=7040, high_co",
        b"unt=2560, low_adc=181, high_adc=8", b"36 }", b"\r\n")
    latest = wait_until("the split frame", remote.recent_frames, lambda frames: len(frames) == 2)[-1]
    assert (latest.state, latest.high_adc, remote.frames_malformed) == ("B", 836, 0)


def test_garbage_between_frames_is_skipped(remote: J1772EvSimRemote, port: ScriptedPort) -> None:
    fed(remote, port, b"\x00\xff noise } ,=", frame("B"), b"#junk\r\n", frame("C"))
    frames = wait_until("two more frames", remote.recent_frames, lambda frames: len(frames) == 3)
    assert [f.state for f in frames] == ["A", "B", "C"]
    assert remote.frames_malformed == 0
    assert remote.bytes_skipped == len(b"\x00\xffnoise},=#junk")


def test_truncated_frame_is_dropped_whole(remote: J1772EvSimRemote, port: ScriptedPort) -> None:
    fed(remote, port, b"{ state=C, state_changes=20", frame("D", high_adc=650))
    frames = wait_until("the frame after the truncated one", remote.recent_frames, lambda frames: len(frames) == 2)
    assert (frames[-1].state, frames[-1].high_adc) == ("D", 650)
    assert remote.frames_malformed == 1
    assert remote.last_malformed is not None and "cut short" in remote.last_malformed[1]


@pytest.mark.parametrize(("bad", "why"), [
    (b"{ state=C, state_changes=2000, low_count=7040, high_count=2560, low_adc=181 }", "missing high_adc"),
    (b"{ state=C, state_changes=2000, low_count=7040, high_count=2560, low_adc=181, high_adc=7x3 }", "unreadable"),
    (b"{ state=C, state_changes=2000, low_count=7040, high_count=2560, low_adc=181, high_adc=1024 }", "10-bit"),
    (b"{ state=C, state_changes=2000, low_count=7040, high_count=2560, low_adc=181, low_adc=181 }", "twice"),
    (b"{ state=E, state_changes=2000, low_count=7040, high_count=2560, low_adc=181, high_adc=743 }", "not A-D"),
    (b"{ state=C, state_changes=2000, low_count=7040, high_count=2560, low_adc=181, high_adc=7\xe93 }", "ASCII"),
    (b"{ state=C, state_changes=2000, low_count=7040, high_count=2560, low_adc=181,\x07 high_adc=743 }", "control"),
    (b'{ state: "C", state_changes: 1000, low_count: 50, high_count: 20, min_volts: -12.0, max_volts: 6.0 }',
     "unreadable"),  # the 2021 firmware's frame: other fields, never misread as this one
    (b"{ state=C, state_changes=2000, low_count=7040, high_count=2560, low_adc=181, high_adc=743, x=1 }", "unknown"),
    (b"{ state=C, state_changes=2000 " + b"0" * 200, "no '}'"),
])
def test_malformed_frame_is_counted_and_dropped(remote: J1772EvSimRemote, port: ScriptedPort,
                                                 bad: bytes, why: str) -> None:
    before = remote.sample_cp()
    fed(remote, port, bad + b"\r\n")
    wait_until("the bad frame to be counted", lambda: remote.frames_malformed, lambda n: n == 1)
    assert remote.last_malformed is not None and why in remote.last_malformed[1]
    assert remote.sample_cp() == before, "a malformed frame must never replace the last good one"
    fed(remote, port, frame("D"))
    wait_until("the next good frame", lambda: remote.recent_frames()[-1].state, lambda s: s == "D")


# --- windows and resolution -------------------------------------------------------------------
def test_window_spans_the_interval_since_the_previous_frame(remote: J1772EvSimRemote, port: ScriptedPort) -> None:
    first = remote.recent_frames()[0]
    assert first.window == (first.arrived_at - 1.0, first.arrived_at)  # no previous frame: the board's second
    assert remote.resolution_s == 1.0
    fed(remote, port, frame("B"))
    second = wait_until("a second frame", remote.recent_frames, lambda frames: len(frames) == 2)[-1]
    sample = remote.sample_cp()
    assert isinstance(sample, CpSample)
    assert sample.window == (first.arrived_at, second.arrived_at) == second.window
    assert second.previous_arrived_at == first.arrived_at


def test_resolution_is_the_measured_mean_interval(remote: J1772EvSimRemote, port: ScriptedPort) -> None:
    for state in "BCD":
        fed(remote, port, frame(state))
        wait_until(f"frame {state}", lambda: remote.recent_frames()[-1].state, lambda s, st=state: s == st)
    frames = remote.recent_frames()
    assert remote.resolution_s == pytest.approx((frames[-1].arrived_at - frames[0].arrived_at) / 3)


def test_default_skew_is_the_previous_frames_wire_time(port: ScriptedPort) -> None:
    """A real board starts its next second while the previous frame is still on the wire."""
    port.feed(README_FRAME)
    with J1772EvSimRemote(port, url="scripted://", frame_timeout_s=1.0) as remote:
        fed(remote, port, frame("B"))
        first, second = wait_until("two frames", remote.recent_frames, lambda frames: len(frames) == 2)
        skew = len(README_FRAME.strip()) * 10 / 9600 + 0.02
        assert second.window == pytest.approx((first.arrived_at - skew, second.arrived_at))
        assert remote.resolution_s == pytest.approx(second.arrived_at - first.arrived_at + skew)


def test_wait_for_frame_after_and_sample_after(remote: J1772EvSimRemote, port: ScriptedPort) -> None:
    t = time.monotonic()
    fed(remote, port, frame("B"))
    mixed = remote.wait_for_frame_after(t, timeout_s=1.0)
    assert mixed.state == "B" and mixed.arrived_at > t and mixed.window[0] < t  # began before t: a mix
    fed(remote, port, frame("C", high=5000, low=5000))
    clean = remote.sample_cp_after(t, timeout_s=1.0)
    assert clean.window[0] > t and clean.cp.duty_percent == 50.0


def test_wait_for_a_state_letter(remote: J1772EvSimRemote, port: ScriptedPort) -> None:
    remote.set_state("D")
    t = remote.last_command[1] if remote.last_command else 0.0
    fed(remote, port, frame("C"), frame("D"))
    assert remote.wait_for_frame_after(t, timeout_s=1.0, state="D").state == "D"


def test_wait_timeout_says_what_it_waited_for_and_last_saw(remote: J1772EvSimRemote, port: ScriptedPort) -> None:
    fed(remote, port, b"{ state=C, broken }")
    with pytest.raises(J1772RemoteNoFrame) as info:
        remote.wait_for_frame_after(time.monotonic(), timeout_s=0.05, state="B")
    message = str(info.value)
    assert isinstance(info.value, BenchFault)
    for part in ("scripted://", "showing state=B", "state=A, state_changes=2000", "1 malformed", "broken"):
        assert part in message


# --- opening, silence and the link -------------------------------------------------------------
def test_no_frame_after_open_is_a_bench_fault(port: ScriptedPort) -> None:
    port.feed(b"\xff\xfe garbage at the wrong baud rate \xff")
    with pytest.raises(J1772RemoteNoFrame, match=r"no frame from the EV Sim Remote at scripted:// in 0.2 s"
                                                 r".*wrong port or baud rate\?") as info:
        J1772EvSimRemote(port, url="scripted://", frame_timeout_s=0.2)
    assert "bytes outside frames skipped" in str(info.value)
    assert port.closed


def test_from_resource_opens_a_pyserial_url() -> None:
    """``loop://`` echoes what is written and sends no frame: the open-time fault, through pyserial."""
    pytest.importorskip("serial")
    started = time.monotonic()
    with pytest.raises(J1772RemoteNoFrame, match=r"at loop:// in 0.15 s"):
        J1772EvSimRemote.from_resource({"url": "loop://", "baudrate": 9600, "timeout_s": 0.05})
    assert time.monotonic() - started < 2.0
    with pytest.raises(ValueError, match="url"):
        J1772EvSimRemote.from_resource({"timeout_s": 1.0})


def test_unopenable_port_is_a_link_error() -> None:
    pytest.importorskip("serial")
    with pytest.raises(J1772RemoteLinkError, match="cannot open"):
        J1772EvSimRemote.open("/dev/does-not-exist-j1772", timeout_s=0.05)


def test_silent_board_makes_sample_cp_a_fault(port: ScriptedPort) -> None:
    port.feed(README_FRAME)
    with J1772EvSimRemote(port, url="scripted://", frame_timeout_s=0.1, frame_skew_s=0.0) as remote:
        remote.sample_cp()
        deadline = time.monotonic() + 2.0
        while True:
            try:
                remote.sample_cp()
            except J1772RemoteNoFrame as exc:
                assert "has sent no frame for" in str(exc)
                break
            assert time.monotonic() < deadline, "sample_cp kept answering from a silent board"
            time.sleep(0.01)


def test_failed_read_is_a_link_error(remote: J1772EvSimRemote, port: ScriptedPort) -> None:
    port.fail(OSError("device reports readiness to read but returned no data"))
    wait_until("the reader to notice", lambda: remote._link_error, lambda e: e is not None)
    with pytest.raises(J1772RemoteLinkError, match="returned no data"):
        remote.sample_cp()
    with pytest.raises(J1772RemoteLinkError):
        remote.wait_for_frame_after(time.monotonic(), timeout_s=1.0)
    with pytest.raises(J1772RemoteLinkError):
        remote.set_state("B")


# --- commands ---------------------------------------------------------------------------------
def test_states_are_single_characters(remote: J1772EvSimRemote, port: ScriptedPort) -> None:
    for state in ("A", "B", "C", "D", " c\n"):
        remote.set_state(state)
    remote.cp_safe()
    assert port.written == [b"A", b"B", b"C", b"D", b"C", b"A"]
    assert remote.last_command is not None and remote.last_command[0] == "A"


@pytest.mark.parametrize("state", ["E", "F", "e"])
def test_e_and_f_are_not_functions_of_this_board(remote: J1772EvSimRemote, port: ScriptedPort, state: str) -> None:
    with pytest.raises(NotImplementedError,
                       match=f"state {state.upper()} is not a function of the J1772 EV Sim Remote"):
        remote.set_state(state)
    assert port.written == []


@pytest.mark.parametrize("state", ["X", "", "AB", "1"])
def test_unknown_state_is_refused(remote: J1772EvSimRemote, port: ScriptedPort, state: str) -> None:
    with pytest.raises(ValueError, match="must be one of A, B, C, D"):
        remote.set_state(state)
    assert port.written == []


@pytest.mark.parametrize(("method", "feature"), [
    ("set_diode_short", "diode_short"), ("set_cp_pe_short", "cp_pe_short"), ("set_pe_open", "pe_open")])
def test_faults_are_not_functions_of_this_board(remote: J1772EvSimRemote, port: ScriptedPort,
                                                 method: str, feature: str) -> None:
    getattr(remote, method)(False)  # "no fault" is what the board always has
    with pytest.raises(NotImplementedError, match=f"bind cp_control.{feature} to another instrument"):
        getattr(remote, method)(True)
    assert port.written == []


# --- the role adapter -------------------------------------------------------------------------
def test_declares_roles_and_satisfies_the_protocols(remote: J1772EvSimRemote) -> None:
    assert J1772EvSimRemote.ROLES == {"cp_control": frozenset({"states"}),
                                      "cp_measurement": frozenset({"frequency", "duty", "levels"})}
    assert J1772EvSimRemote.TIMERS == frozenset()
    assert isinstance(remote, CpControl) and isinstance(remote, CpMeter)


def test_identify_and_close(port: ScriptedPort) -> None:
    port.feed(README_FRAME)
    remote = J1772EvSimRemote(port, url="scripted://", frame_timeout_s=1.0)
    assert remote.identify() == "J1772 EV Sim Remote (no identity command) at scripted://, frames received: 1"
    remote.close()
    remote.close()  # idempotent
    assert port.closed and not remote._thread.is_alive()
