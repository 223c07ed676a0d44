"""Which RPC methods a request names, as the charger would read them off the wire.

The snapshot fixture restores only what a test's calls could have changed, so it must know the
method of every request, including hand-made ones.  ``None`` means the method cannot be known (a
body that is not JSON, a frame without a string ``method``): whoever acts on it must assume the
worst, since a lenient firmware parser could still have found a method in it.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote, urlsplit

def methods_in_request(path: str, body: Any) -> tuple[str, ...] | None:
    """The methods named by a request to ``path`` with ``body`` (bytes, str, JSON value or None)."""
    route = urlsplit(path).path
    if route.startswith("/rpc/") and len(route) > len("/rpc/"):  # URL styles: the method is the path
        return (unquote(route[len("/rpc/"):]),)
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except ValueError:  # not JSON (bytes that do not decode are a ValueError too)
            return None
    if isinstance(body, dict):
        method = body.get("method")
        return (method,) if isinstance(method, str) else None
    if isinstance(body, list) and body:  # a batch: every element must name its method
        named: list[str] = []
        for element in body:
            inner = methods_in_request("/rpc", element)
            if inner is None:
                return None
            named.extend(inner)
        return tuple(named)
    return None
