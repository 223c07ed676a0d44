"""A failing fuzz input as a request anyone can send again: the HTTP method, the path, the exact body
bytes and a ``curl`` line.

The body is written as a Python bytes expression (``b'{"id":1,...' + b' ' * 40000 + b'...}'``): exact for
bytes that are not UTF-8, and short for an oversized body (a run of one byte is written once, times its
length).  The ``curl`` line feeds those bytes through ``python3 -c`` (or, for a short printable body,
passes it quoted), so a shell replays exactly what the suite sent.

Secrets never appear in clear: a known secret value (the bench's PIN, AP password, HTTP credentials) is
replaced by ``***`` wherever it occurs in the body, a JSON member named like a secret (``pin``,
``password``) has its value masked, the URL's credentials are masked, and HTTP authentication is written
as ``-u "$USER_ENV:$PASSWORD_ENV"``: the environment variables the profile names, never their values.
A masked replay says so, and which placeholder to fill in.
"""
from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any

from instruments.charger_rpc.masking import mask, mask_url
from instruments.charger_rpc.secret import MASK

RUN = 64            # a run of one byte at least this long is written as b'x' * n
INLINE_MAX = 2048   # a printable UTF-8 body up to this size is passed to curl quoted, not through python3


@dataclass(frozen=True)
class Credentials:
    """How the replay authenticates: the scheme and the environment variables holding the credentials
    (None where the profile holds them itself: then they are written masked)."""

    scheme: str = "digest"
    username_env: str | None = None
    password_env: str | None = None

    def curl_option(self) -> str:
        user = f"${self.username_env}" if self.username_env else MASK
        password = f"${self.password_env}" if self.password_env else MASK
        flag = "--digest " if self.scheme == "digest" else ""
        return f'{flag}-u "{user}:{password}"'


def masked_body(body: bytes, secrets: tuple[str, ...]) -> tuple[bytes, bool]:
    """``body`` with every secret masked, and whether anything was."""
    try:
        decoded = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        decoded = None
    out = body
    if decoded is not None and mask(decoded) != decoded:
        out = json.dumps(mask(decoded), separators=(",", ":")).encode()
    for secret in secrets:
        plain = str.encode(secret) if secret else b""
        if plain:
            out = out.replace(plain, MASK.encode())
    return out, out != body


def bytes_expression(body: bytes) -> str:
    """A Python expression whose value is exactly ``body``; runs of one byte written once, times their length."""
    parts: list[str] = []
    start = i = 0
    while i < len(body):
        j = i
        while j < len(body) and body[j] == body[i]:
            j += 1
        if j - i >= RUN:
            if start < i:
                parts.append(repr(body[start:i]))
            parts.append(f"{bytes([body[i]])!r} * {j - i}")
            start = j
        i = j
    if start < len(body) or not parts:
        parts.append(repr(body[start:]))
    return " + ".join(parts)


def _printable(body: bytes) -> str | None:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if text.isprintable() and len(body) <= INLINE_MAX and len(body) else None


def replay(http_method: str, path: str, body: bytes, base_url: str, *, secrets: tuple[str, ...] = (),
           credentials: Credentials | None = None) -> str:
    """The replay text of one request: what was sent, and a curl line that sends it again."""
    shown, was_masked = masked_body(body, secrets)
    url = mask_url(base_url.rstrip("/") + path)
    try:
        shown.decode("utf-8")
        encoding = "UTF-8"
    except UnicodeDecodeError:
        encoding = "not UTF-8"
    auth = f" {credentials.curl_option()}" if credentials is not None else ""
    curl = (f"curl -sS -X {http_method} {shlex.quote(url)}{auth} -H 'Content-Type: application/json' "
            f"--data-binary")
    inline = _printable(shown)
    expression = bytes_expression(shown)
    if inline is not None:
        command = f"{curl} {shlex.quote(inline)}"
    else:
        command = (f"python3 -c {shlex.quote('import sys; sys.stdout.buffer.write(' + expression + ')')} | "
                   f"{curl} @-")
    lines = [f"replay: {http_method} {url} ({len(body)} bytes, {encoding})",
             f"  body: {expression}",
             f"  {command}"]
    if was_masked:
        lines.append(f"  (secrets masked as {MASK}: put the bench's value back to replay)")
    return "\n".join(lines)


def short(value: Any, limit: int = 60) -> str:
    """A value's repr, cut to ``limit`` characters (for one-line descriptions of an input)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 12] + f"...<{len(text)} chars>"
