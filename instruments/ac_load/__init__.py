"""Programmable AC electronic loads: the EV's current sink and EV-side mains sense on a composite bench."""
from instruments.ac_load.chroma63800 import DEFAULT_MAINS_PRESENT_V, PEAK_PER_RMS, Chroma63800Load

__all__ = ["Chroma63800Load", "DEFAULT_MAINS_PRESENT_V", "PEAK_PER_RMS"]
