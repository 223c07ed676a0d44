"""A bench's addresses as labgrid resources: the exporter configuration that publishes them.

Why a table: an exporter YAML is ``group: {resource name: {cls: ..., params}}``, and each address the
profile would hold (a charger URL, a pyserial URL, a VISA resource string) maps onto one of labgrid's
own resource classes that ``labgrid-exporter`` publishes without local hardware:

==================================  =====================================================
address                             labgrid resource
==================================  =====================================================
``http://host:port`` (charger)      NetworkService {address, port, username}
``socket://host:port`` (serial)     NetworkSerialPort {host, port, speed, protocol: raw}
``rfc2217://host:port``             NetworkSerialPort {..., protocol: rfc2217}
``TCPIP::host::port::SOCKET``       NetworkService {address, port, username}
``TCPIP::host::INSTR`` (VXI-11)     PyVISADevice {type: TCPIP, url: host}
==================================  =====================================================

fixtures/labgrid_place.py reads them back (``address_of``); the two are tested against each other.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml


def resource_of(address: str, speed: int = 115200) -> dict[str, Any]:
    """The labgrid resource (``cls`` and its parameters) that publishes one address."""
    if address.startswith(("http://", "https://")):
        parts = urlsplit(address)
        return {"cls": "NetworkService", "address": parts.hostname, "port": parts.port or 80, "username": ""}
    if address.startswith(("socket://", "rfc2217://")):
        parts = urlsplit(address)
        return {"cls": "NetworkSerialPort", "host": parts.hostname, "port": parts.port, "speed": speed,
                "protocol": "raw" if parts.scheme == "socket" else "rfc2217"}
    socket_visa = re.fullmatch(r"TCPIP\d*::([^:]+)::(\d+)::SOCKET", address, re.IGNORECASE)
    if socket_visa:
        return {"cls": "NetworkService", "address": socket_visa.group(1), "port": int(socket_visa.group(2)),
                "username": ""}
    visa = re.fullmatch(r"([A-Z]+\d*)::(.+)", address, re.IGNORECASE)
    if visa:
        # labgrid's PyVISADriver opens "{type}::{url}::INSTR": the url stops before ::INSTR
        return {"cls": "PyVISADevice", "type": visa.group(1), "url": re.sub(r"::INSTR$", "", visa.group(2), flags=re.I)}
    raise ValueError(f"no labgrid resource class publishes {address!r}")


def exporter_config(groups: dict[str, dict[str, str]]) -> dict[str, Any]:
    """``{group: {resource name: address}}`` as an exporter configuration (one group per place)."""
    return {group: {name: resource_of(address) for name, address in addresses.items()}
            for group, addresses in groups.items()}


def write_exporter_config(path: Path, groups: dict[str, dict[str, str]]) -> Path:
    path.write_text(yaml.safe_dump(exporter_config(groups), sort_keys=False))
    return path
