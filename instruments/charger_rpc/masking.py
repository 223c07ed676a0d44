"""Secrets never leave the client in clear text.

PINs, AP passwords and HTTP credentials are masked in every recorded exchange before anything
(Allure attachment, log line, failure message) can see it.  Masking happens once, here, so no
reporter has to remember it.
"""
from __future__ import annotations

import re
from typing import Any

SECRET_KEYS = frozenset({"pin", "password", "ap_password", "authorization", "proxy-authorization"})
MASK = "***"
_QUERY_SECRET = re.compile(r"(?i)(^|[?&])(pin|password)=[^&]*")


def mask(value: Any) -> Any:
    """A copy of a decoded JSON value (or headers mapping) with secret fields replaced by ``***``."""
    if isinstance(value, dict):
        return {k: (MASK if str(k).lower() in SECRET_KEYS else mask(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    return value


def mask_url(url: str) -> str:
    """Mask secret query parameters (``GET /rpc/Pin.Check?pin="1234"``) and URL credentials."""
    url = re.sub(r"//[^/@]+@", f"//{MASK}@", url)
    return _QUERY_SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}={MASK}", url)


def mask_text(text: str, secrets: tuple[str, ...]) -> str:
    """Mask known secret strings inside free text (a body that did not parse as JSON)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text
