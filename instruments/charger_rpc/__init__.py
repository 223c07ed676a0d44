"""Async client for the charger's RPC over HTTP (field-facts §1), in every request style it accepts."""
from instruments.charger_rpc.client import ChargerClient, RawReply
from instruments.charger_rpc.errors import (
    BenchFault,
    ChargerAuthenticationRequired,
    ChargerUnreachable,
    DeviceError,
    MalformedReply,
)
from instruments.charger_rpc.exchange import Exchange
from instruments.charger_rpc.styles import RequestStyle

__all__ = [
    "BenchFault",
    "ChargerAuthenticationRequired",
    "ChargerClient",
    "ChargerUnreachable",
    "DeviceError",
    "Exchange",
    "MalformedReply",
    "RawReply",
    "RequestStyle",
]
