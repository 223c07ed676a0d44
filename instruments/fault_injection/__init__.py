"""Fault injection: relays that fake a welded or stuck-open contactor in the charger's output."""
from instruments.fault_injection.keysight_34970a import (
    DEFAULT_STUCK_OPEN_CHANNEL,
    DEFAULT_WELDED_CHANNEL,
    Keysight34970aRelayBox,
)

__all__ = ["DEFAULT_STUCK_OPEN_CHANNEL", "DEFAULT_WELDED_CHANNEL", "Keysight34970aRelayBox"]
