"""Secrets never leave the client in clear text.

PINs, AP passwords and HTTP credentials are masked in every recorded exchange before anything
(Allure attachment, log line, failure message) can see it.  Masking happens once, here, so no
reporter has to remember it.  A :class:`~instruments.charger_rpc.secret.Secret` is masked under any
key: ``json.dumps`` would write its value, so a recorded body never keeps one.
"""
from __future__ import annotations

import logging
import re
from typing import Any

import httpx

from instruments.charger_rpc.secret import MASK, Secret

SECRET_KEYS = frozenset({"pin", "password", "ap_password", "authorization", "proxy-authorization"})
_QUERY_SECRET = re.compile(r"(?i)(^|[?&])(pin|password)=[^&]*")


def mask(value: Any) -> Any:
    """A copy of a decoded JSON value (or headers mapping) with secret fields replaced by ``***``."""
    if isinstance(value, dict):
        return {k: (MASK if str(k).lower() in SECRET_KEYS else mask(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    if isinstance(value, Secret):
        return MASK
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


class MaskedUrlsInLog(logging.Filter):
    """httpx logs each request's URL (INFO ``HTTP Request: GET …``), and a URL_GET query carries the PIN:
    this filter on the ``httpx`` logger masks those URLs as an exchange's are, before any handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) for a in record.args):
            record.args = tuple(mask_url(str(a)) if isinstance(a, httpx.URL) else a for a in record.args)
        return True


def mask_httpx_log() -> None:
    """Install :class:`MaskedUrlsInLog` on the ``httpx`` logger, once per process."""
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, MaskedUrlsInLog) for f in logger.filters):
        logger.addFilter(MaskedUrlsInLog())
