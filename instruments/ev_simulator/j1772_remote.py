"""Adapter for the J1772 "EV Sim Remote", an open CP board (field-facts §7).

Manual: Nicholas W. Sayer's ``README.md`` and firmware ``ev_sim.c`` (github.com/nsayer/ev_sim; the
frame format below is that of commits 95d7ae1 / 82b9fb3, December 2019):

* USB serial, 9600 baud 8N1.  The board has no identity or query command.
* One character ``A``, ``B``, ``C`` or ``D`` switches the EV-side resistors (A open, B 2.7 kΩ,
  C 882 Ω, D 240 Ω, each behind the diode).  The firmware also takes ``a``…``d`` and ignores every
  other byte; it sends no acknowledgement (the new letter shows in the next frame's ``state``).
  It cannot short the diode, short CP to PE, open PE, impose E/F, draw a load or leak a current.
* Unprompted, after each second of sampling the pilot (``SAMPLE_TICKS`` 1000 ms), it prints one frame
  ``{ state=A, state_changes=2000, low_count=50000, high_count=100000, low_adc=172, high_adc=844 }``
  followed by CR LF: ``state_changes`` is the number of zero crossings (twice the frequency over that
  second), ``low_count`` / ``high_count`` the ADC samples below / at or above 0 V, ``low_adc`` /
  ``high_adc`` the lowest / highest ADC reading, a level in mV being ``(adc - 556) * 32`` (844 is
  +9.216 V, 172 is -12.288 V).  ``state`` is the letter at the time of printing.
* Later firmware quoted the state and used JSON's ``:`` (``{ state: "A", state_changes: 2000, ...``,
  commits cc5d02c / dca8574); those frames parse too.  The 2021 firmware (comparator timing,
  ``min_volts`` / ``max_volts``, 500 ms windows) prints other fields: its frames are counted as
  malformed, never misread.

Because the frames are unprompted, a background thread reads the port, resynchronises on anything
that is not a frame (a frame starts at ``{`` and ends at ``}``), drops and counts a malformed frame
whole (never half-parsed), and keeps the recent frames with the host time (``time.monotonic()``)
their ``}`` arrived.

Timing: a frame's statistics cover the board's sampling second, which ends just before the frame is
printed and begins right after the previous frame was queued for transmission, i.e. about one
frame's wire time (~0.1 s at 9600 baud) plus the USB latency *before* the previous frame's arrival.
:meth:`J1772EvSimRemote.sample_cp` therefore reports the window (previous arrival - skew, arrival).

**A second that straddles a change is a mix of both.**  If the charger changes its duty from 10 %
to 50 % 0.3 s into the board's second, that frame reads ~38 % (0.3 x 10 + 0.7 x 50), its peak levels
are the extremes of both halves, and its frequency is the mean.  A consumer that needs the condition
*after* a change at host time ``t`` must use a frame whose whole window began after ``t``
(:meth:`~J1772EvSimRemote.sample_cp_after`), not the first frame that arrives after ``t``
(:meth:`~J1772EvSimRemote.wait_for_frame_after`), which is usually a mix.
"""
from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from instruments.errors import BenchFault
from instruments.ev_simulator.interface import CpMeasurement
from instruments.roles import EV_STATES, CpSample

BAUDRATE = 9600
SAMPLE_S = 1.0  # the board's sampling window (ev_sim.c SAMPLE_TICKS = 1000 ms)
PILOT_READ_OFFSET = -556  # README: add this to an ADC reading ...
PILOT_READ_SCALE_MV = 32  # ... then multiply by this for mV
ADC_MAX = 1023  # a 10-bit ADC
FIELDS = ("state_changes", "low_count", "high_count", "low_adc", "high_adc")
MAX_FRAME_BYTES = 200  # a frame is ~90 characters; anything longer without "}" is garbage
USB_LATENCY_S = 0.02  # assumed: a USB-serial bridge's latency timer (FTDI's default is 16 ms)
READ_POLL_S = 0.05  # the reader thread's read timeout: how soon close() stops it
DEFAULT_TIMEOUT_S = 1.0
FIRST_FRAMES_WAIT = 3  # open waits this many timeouts (3 s by default) for a first frame
HISTORY = 16  # recent frames kept for wait_for_frame_after and resolution_s
RESOLUTION_FRAMES = 8  # frames the resolution is measured over

_ITEM = re.compile(r'\s*(?P<key>[a-z_]+)\s*[=:]\s*(?:(?P<number>\d{1,10})|"?(?P<letter>[A-Za-z])"?)\s*')


class SerialPort(Protocol):
    """The part of ``serial.Serial`` the adapter uses (a scripted fake in the adapter tests).

    ``read(size)`` returns what arrived within the port's timeout (possibly nothing); ``in_waiting``
    (optional) how many bytes can be read without waiting."""

    def read(self, size: int = 1) -> bytes: ...

    def write(self, data: bytes) -> int | None: ...

    def close(self) -> None: ...


class J1772RemoteFault(BenchFault):
    """The EV Sim Remote or its link failed: a bench fault, no verdict on the charger."""


class J1772RemoteNoFrame(J1772RemoteFault):
    """No (usable) frame arrived in time: wrong port or baud rate, board unplugged or hung."""


class J1772RemoteLinkError(J1772RemoteFault):
    """The serial port could not be opened, read or written."""


class FrameError(ValueError):
    """A frame the adapter will not use (missing, unknown, repeated or out-of-range field)."""


@dataclass(frozen=True)
class RemoteFrame:
    """One frame of the board, as printed, with the host times that bound its statistics.

    ``window`` is (earliest start, arrival) in host ``time.monotonic()`` seconds; ``state`` is None
    only for the first firmware, which printed no state letter.
    """

    state: str | None
    state_changes: int
    low_count: int
    high_count: int
    low_adc: int
    high_adc: int
    text: str
    arrived_at: float
    previous_arrived_at: float | None
    window: tuple[float, float]

    def measurement(self) -> CpMeasurement:
        return measurement_from_counts(self.state_changes, self.low_count, self.high_count,
                                       self.low_adc, self.high_adc)

    def sample(self) -> CpSample:
        return CpSample(self.measurement(), self.window)


def adc_to_volts(adc: int) -> float:
    """A peak reading in volts (README: ``(adc + PILOT_READ_OFFSET) * PILOT_READ_SCALE`` mV)."""
    return (adc + PILOT_READ_OFFSET) * PILOT_READ_SCALE_MV / 1000.0


def measurement_from_counts(state_changes: int, low_count: int, high_count: int,
                            low_adc: int, high_adc: int) -> CpMeasurement:
    """The frame's raw statistics as a :class:`CpMeasurement` over the board's one-second window.

    Frequency is half the zero crossings per second; duty the share of samples at or above 0 V (so a
    line that does not switch reads 100 % when it sat high, 0 % when low; no samples at all: 0 %).
    """
    samples = high_count + low_count
    duty = 100.0 * high_count / samples if samples else 0.0
    return CpMeasurement(frequency_hz=state_changes / 2.0 / SAMPLE_S, duty_percent=duty,
                         high_v=adc_to_volts(high_adc), low_v=adc_to_volts(low_adc))


def parse_frame(text: str) -> tuple[str | None, dict[str, int]]:
    """(state letter, the five counts) of one frame ``{ ... }``; :class:`FrameError` if it is not
    exactly a frame of the documented fields."""
    if not (text.startswith("{") and text.endswith("}")):
        raise FrameError("not enclosed in { }")
    body = text[1:-1].strip()
    state: str | None = None
    counts: dict[str, int] = {}
    for item in body.split(",") if body else []:
        match = _ITEM.fullmatch(item)
        if match is None:
            raise FrameError(f"unreadable field {item.strip()!r}")
        key, number, letter = match["key"], match["number"], match["letter"]
        if key in counts or (key == "state" and state is not None):
            raise FrameError(f"field {key} twice")
        if key == "state":
            if letter is None or letter.upper() not in EV_STATES:
                raise FrameError(f"state {item.strip()!r} is not A-D")
            state = letter.upper()
        elif key in FIELDS:
            if number is None:
                raise FrameError(f"{key} is not a number")
            value = int(number)
            if key.endswith("_adc") and value > ADC_MAX:
                raise FrameError(f"{key}={value} above the 10-bit ADC's {ADC_MAX}")
            counts[key] = value
        else:
            raise FrameError(f"unknown field {key}")
    missing = [key for key in FIELDS if key not in counts]
    if missing:
        raise FrameError(f"missing {', '.join(missing)}")
    return state, counts


def _unsupported(what: str, feature: str) -> NotImplementedError:
    return NotImplementedError(
        f"{what} is not a function of the J1772 EV Sim Remote (it only switches the A-D resistors); "
        f"bind cp_control.{feature} to another instrument")


class J1772EvSimRemote:
    """``cp_control`` (states A-D) and ``cp_measurement`` (once-a-second statistics) on the EV Sim Remote.

    ``port`` is an open serial port; the constructor starts the reader thread and waits up to
    ``frame_timeout_s`` for a first frame.  ``frame_skew_s`` is how long before the previous frame's
    arrival a frame's statistics may have begun: None for a real board (its wire time at
    ``baudrate`` plus ``USB_LATENCY_S``), 0 for a twin that sends each frame the instant its second ends.
    """

    ROLES: ClassVar[dict[str, frozenset[str]]] = {
        "cp_control": frozenset({"states"}),
        "cp_measurement": frozenset({"frequency", "duty", "levels"}),
    }
    TIMERS: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, port: SerialPort, *, url: str = "<port>", baudrate: int = BAUDRATE,
                 frame_timeout_s: float = FIRST_FRAMES_WAIT * DEFAULT_TIMEOUT_S,
                 frame_skew_s: float | None = None, command_latency_s: float | None = None) -> None:
        self._port = port
        self._command_latency_s = command_latency_s
        self.url = url
        self._baudrate = baudrate
        self.frame_timeout_s = frame_timeout_s
        self._skew_s = frame_skew_s
        self._cond = threading.Condition()
        self._frames: deque[RemoteFrame] = deque(maxlen=HISTORY)
        self._partial: bytearray | None = None
        self._link_error: str | None = None
        self.frames_received = 0
        self.frames_malformed = 0
        self.bytes_skipped = 0
        self.last_malformed: tuple[str, str] | None = None  # (text, why)
        self.last_command: tuple[str, float] | None = None  # (letter, host time written)
        self._stop = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._read_forever, name=f"j1772-remote-reader {url}", daemon=True)
        self._thread.start()
        try:
            self._wait("a first frame", lambda frame: True, frame_timeout_s,
                       hint=": wrong port or baud rate?")
        except BaseException:
            self.close()
            raise

    @classmethod
    def open(cls, url: str, baudrate: int = BAUDRATE, timeout_s: float = DEFAULT_TIMEOUT_S,
             frame_skew_s: float | None = None) -> J1772EvSimRemote:
        """Open any pyserial URL (``/dev/ttyUSB0``, ``socket://host:port``, ``rfc2217://``) at 8N1.

        ``timeout_s`` bounds the waits for frames: ``3 x timeout_s`` for the first frame and before a
        silent board is a fault.  The port's own read timeout is a short poll of the reader thread."""
        import serial  # imported here so the adapter tests need no pyserial

        try:
            port = serial.serial_for_url(url, baudrate=baudrate, bytesize=serial.EIGHTBITS,
                                         parity=serial.PARITY_NONE, stopbits=serial.STOPBITS_ONE,
                                         timeout=min(READ_POLL_S, timeout_s))
        except (serial.SerialException, OSError, ValueError) as exc:
            raise J1772RemoteLinkError(f"cannot open the EV Sim Remote at {url}: {exc}") from exc
        _no_nagle(port)
        return cls(port, url=url, baudrate=baudrate, frame_timeout_s=FIRST_FRAMES_WAIT * timeout_s,
                   frame_skew_s=frame_skew_s)

    @property
    def command_latency_s(self) -> float:
        """How long after ``set_state`` returns the board may still be switching (wall s): the profile's
        ``command_latency_s`` where given (a twin on loopback), else the byte's wire time at the baud rate
        plus the USB latency.  The board never acknowledges, so a stimulus is bracketed by it."""
        if self._command_latency_s is not None:
            return self._command_latency_s
        return 10.0 / self._baudrate + USB_LATENCY_S

    @classmethod
    def from_resource(cls, settings: dict[str, Any]) -> J1772EvSimRemote:
        """Keys: ``url`` (required), ``baudrate`` (9600), ``timeout_s`` (1.0), ``frame_skew_s`` (None:
        computed for a real board; 0 for the twin)."""
        if "url" not in settings:
            raise ValueError("the EV Sim Remote's resource needs a 'url' (a pyserial URL)")
        skew = settings.get("frame_skew_s")
        latency = settings.get("command_latency_s")
        board = cls.open(str(settings["url"]), baudrate=int(settings.get("baudrate", BAUDRATE)),
                         timeout_s=float(settings.get("timeout_s", DEFAULT_TIMEOUT_S)),
                         frame_skew_s=None if skew is None else float(skew))
        board._command_latency_s = None if latency is None else float(latency)
        return board

    # --- the reader thread --------------------------------------------------------------------
    def _read_forever(self) -> None:
        while not self._stop.is_set():
            try:
                waiting = int(getattr(self._port, "in_waiting", 0) or 0)
                data = self._port.read(max(1, waiting))
            except Exception as exc:  # noqa: BLE001  any failure ends the link; it must not die unseen
                if not self._stop.is_set():
                    with self._cond:
                        self._link_error = f"{type(exc).__name__}: {exc}"
                        self._cond.notify_all()
                return
            if data:
                self._feed(data, time.monotonic())

    def _feed(self, data: bytes, arrived_at: float) -> None:
        """Split bytes into frames: skip anything outside ``{ }``; a ``{`` inside a frame means the
        one before was cut short."""
        for byte in data:
            if self._partial is None:
                if byte == 0x7B:  # "{"
                    self._partial = bytearray(b"{")
                elif byte not in b" \t\r\n":
                    self.bytes_skipped += 1
                continue
            if byte == 0x7B:
                self._drop(bytes(self._partial), "cut short: a new '{' before its '}'")
                self._partial = bytearray(b"{")
                continue
            self._partial.append(byte)
            if byte == 0x7D:  # "}"
                raw, self._partial = bytes(self._partial), None
                self._complete(raw, arrived_at)
            elif len(self._partial) > MAX_FRAME_BYTES:
                self._drop(bytes(self._partial), f"no '}}' within {MAX_FRAME_BYTES} bytes")
                self._partial = None

    def _drop(self, raw: bytes, why: str) -> None:
        with self._cond:
            self.frames_malformed += 1
            self.last_malformed = (raw.decode("ascii", errors="replace"), why)

    def _complete(self, raw: bytes, arrived_at: float) -> None:
        try:
            text = raw.decode("ascii")
            if not text.isprintable():
                raise FrameError("control characters inside")
            state, counts = parse_frame(text)
        except (UnicodeDecodeError, FrameError) as exc:
            self._drop(raw, str(exc) if isinstance(exc, FrameError) else "not ASCII")
            return
        with self._cond:
            previous = self._frames[-1] if self._frames else None
            if previous is None:
                start = arrived_at - SAMPLE_S - self._skew_after(text)
                previous_at = None
            else:
                start = previous.arrived_at - self._skew_after(previous.text)
                previous_at = previous.arrived_at
            frame = RemoteFrame(state=state, text=text, arrived_at=arrived_at, previous_arrived_at=previous_at,
                                window=(start, arrived_at), **counts)
            self._frames.append(frame)
            self.frames_received += 1
            self._cond.notify_all()

    def _skew_after(self, text: str) -> float:
        """How long before a frame's arrival the board's next second began: its wire time (10 bits a
        character at 8N1) plus the USB latency, unless the profile said otherwise."""
        if self._skew_s is not None:
            return self._skew_s
        return len(text) * 10.0 / self._baudrate + USB_LATENCY_S

    # --- waiting for frames -------------------------------------------------------------------
    def _last_seen(self) -> str:
        parts = []
        if self._frames:
            last = self._frames[-1]
            parts.append(f"last frame {time.monotonic() - last.arrived_at:.2f} s ago: {last.text}")
        else:
            parts.append("no frame at all")
        if self.frames_malformed:
            text, why = self.last_malformed or ("", "")
            parts.append(f"{self.frames_malformed} malformed dropped (last {text[:60]!r}: {why})")
        if self.bytes_skipped:
            parts.append(f"{self.bytes_skipped} bytes outside frames skipped")
        return "; ".join(parts)

    def _raise_if_link_failed(self) -> None:
        if self._link_error is not None:
            raise J1772RemoteLinkError(f"the link to the EV Sim Remote at {self.url} failed "
                                       f"({self._link_error}); {self._last_seen()}")

    def _wait(self, what: str, accept: Callable[[RemoteFrame], bool], timeout_s: float, hint: str = "") -> RemoteFrame:
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                for frame in self._frames:
                    if accept(frame):
                        return frame
                self._raise_if_link_failed()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise J1772RemoteNoFrame(f"no frame from the EV Sim Remote at {self.url} in {timeout_s:g} s "
                                             f"(waited for {what}){hint}; {self._last_seen()}")
                self._cond.wait(remaining)

    def wait_for_frame_after(self, t_monotonic: float, timeout_s: float | None = None, *,
                             state: str | None = None) -> RemoteFrame:
        """The first frame (of the last ``HISTORY``) that arrived after host time ``t_monotonic``, and
        with ``state`` one that shows that letter.  It arrived after ``t`` but may have begun before:
        see the module docstring; :meth:`sample_cp_after` gives a reading that began after ``t``."""
        what = f"a frame arriving after t={t_monotonic:.3f}" + (f" showing state={state}" if state else "")
        return self._wait(what, lambda f: f.arrived_at > t_monotonic and (state is None or f.state == state),
                          self.frame_timeout_s if timeout_s is None else timeout_s)

    def sample_cp_after(self, t_monotonic: float, timeout_s: float | None = None) -> CpSample:
        """The first reading whose whole window began after host time ``t_monotonic`` (usually the
        second or third frame after it): the line as it was after a change made at ``t``."""
        timeout = 2 * self.frame_timeout_s if timeout_s is None else timeout_s
        frame = self._wait(f"a frame whose second began after t={t_monotonic:.3f}",
                           lambda f: f.window[0] > t_monotonic, timeout)
        return frame.sample()

    def recent_frames(self) -> tuple[RemoteFrame, ...]:
        """The last ``HISTORY`` frames, oldest first."""
        with self._cond:
            return tuple(self._frames)

    # --- cp_measurement -----------------------------------------------------------------------
    @property
    def resolution_s(self) -> float:
        """How long a reading's window may be (wall s): the measured mean interval between recent
        frames plus the skew; the board's nominal second before two frames have arrived."""
        with self._cond:
            frames = list(self._frames)[-RESOLUTION_FRAMES:]
        if not frames:
            return SAMPLE_S
        if len(frames) < 2:
            return SAMPLE_S + self._skew_after(frames[-1].text)
        interval = (frames[-1].arrived_at - frames[0].arrived_at) / (len(frames) - 1)
        return interval + self._skew_after(frames[-2].text)  # the latest window's length

    def sample_cp(self) -> CpSample:
        """The latest frame's reading and its window; a silent board (no frame for
        ``frame_timeout_s``) or a failed link is a :class:`J1772RemoteFault`."""
        with self._cond:
            self._raise_if_link_failed()
            if not self._frames:
                raise J1772RemoteNoFrame(f"no frame from the EV Sim Remote at {self.url} yet; {self._last_seen()}")
            latest = self._frames[-1]
            silent_s = time.monotonic() - latest.arrived_at
            if silent_s > self.frame_timeout_s:
                raise J1772RemoteNoFrame(f"the EV Sim Remote at {self.url} has sent no frame for {silent_s:.1f} s "
                                         f"(it sends one a second); {self._last_seen()}")
            return latest.sample()

    # --- cp_control ---------------------------------------------------------------------------
    def set_state(self, state: str) -> None:
        """Write the one character A, B, C or D.  The board does not answer: its next frame's
        ``state`` shows the letter (``wait_for_frame_after(t, state=...)``)."""
        letter = state.strip().upper() if isinstance(state, str) else state
        if letter in ("E", "F"):
            raise _unsupported(f"state {letter}", "cp_pe_short" if letter == "E" else "states")
        if letter not in EV_STATES:
            raise ValueError(f"EV Sim Remote state must be one of {', '.join(EV_STATES)}, got {state!r}")
        with self._cond:
            self._raise_if_link_failed()
        try:
            self._port.write(letter.encode("ascii"))
        except (OSError, ValueError) as exc:  # serial.SerialException is an OSError
            raise J1772RemoteLinkError(f"cannot write {letter!r} to the EV Sim Remote at {self.url}: {exc}") from exc
        self.last_command = (letter, time.monotonic())

    def set_diode_short(self, on: bool) -> None:
        """Only "no diode short" is possible (the board's diode is never shorted), so False is a no-op."""
        if on:
            raise _unsupported("a diode short", "diode_short")

    def set_cp_pe_short(self, on: bool) -> None:
        """Only "no CP-PE short" is possible, so False is a no-op."""
        if on:
            raise _unsupported("a CP-PE short (state E)", "cp_pe_short")

    def set_pe_open(self, on: bool) -> None:
        """Only "PE connected" is possible, so False is a no-op."""
        if on:
            raise _unsupported("an open PE", "pe_open")

    def cp_safe(self) -> None:
        """State A (the board has no fault to clear)."""
        self.set_state("A")

    # --- RoleAdapter --------------------------------------------------------------------------
    def identify(self) -> str:
        """The board has no identity command: say what it is, where, and how much it has sent."""
        malformed = f", {self.frames_malformed} malformed" if self.frames_malformed else ""
        return (f"J1772 EV Sim Remote (no identity command) at {self.url}, "
                f"frames received: {self.frames_received}{malformed}")

    def close(self) -> None:
        """Stop the reader thread, then close the port (the board keeps its state)."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self._thread.join(timeout=READ_POLL_S + 2.0)
        self._port.close()

    def __enter__(self) -> J1772EvSimRemote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _no_nagle(port: object) -> None:
    """A one-byte command must leave at once: over ``socket://`` (a serial server, the twin) Nagle's
    algorithm would hold it until the peer's delayed ACK, up to tens of ms, since the board never
    answers.  A real USB serial port has no socket: nothing to do."""
    import socket  # noqa: PLC0415

    sock = getattr(port, "_socket", None)
    if isinstance(sock, socket.socket):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
