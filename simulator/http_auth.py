"""Optional HTTP authentication of the virtual charger: Digest (realm "RPC", RFC 7616 MD5, qop=auth)
as the real charger family uses, and Basic as some clients send (field-facts §1).
"""
from __future__ import annotations

import base64
import hashlib
import re
import secrets

from aiohttp import web

REALM = "RPC"
_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^,\s]*))')


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - the protocol's algorithm


class HttpAuth:
    def __init__(self, user: str, password: str) -> None:
        self.user = user
        self.password = password
        self._nonces: set[str] = set()

    def challenge(self) -> web.HTTPUnauthorized:
        nonce = secrets.token_hex(16)
        self._nonces.add(nonce)
        header = f'Digest realm="{REALM}", nonce="{nonce}", qop="auth", algorithm=MD5'
        return web.HTTPUnauthorized(headers={"WWW-Authenticate": header})

    def allows(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                return base64.b64decode(value).decode() == f"{self.user}:{self.password}"
            except ValueError:
                return False
        if scheme.lower() != "digest":
            return False
        fields = {m.group(1): m.group(2) if m.group(2) is not None else m.group(3) for m in _PARAM.finditer(value)}
        if fields.get("username") != self.user or fields.get("nonce") not in self._nonces:
            return False
        ha1 = _md5(f"{self.user}:{REALM}:{self.password}")
        ha2 = _md5(f"{request.method}:{fields.get('uri', '')}")
        expected = _md5(f"{ha1}:{fields['nonce']}:{fields.get('nc', '')}:{fields.get('cnonce', '')}:"
                        f"{fields.get('qop', '')}:{ha2}")
        return secrets.compare_digest(expected, fields.get("response", ""))
