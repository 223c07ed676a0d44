"""Programmable AC sources: the charger's supply on a bench that tests its mains protections."""
from instruments.ac_source.keysight_ac6800b import NOMINAL_HZ, NOMINAL_V, KeysightAc6800bSource

__all__ = ["KeysightAc6800bSource", "NOMINAL_HZ", "NOMINAL_V"]
