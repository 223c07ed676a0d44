"""Residual-current sources: a calibrator's current output through the charger's RCD sensor core."""
from instruments.residual_source.fluke5522a import DEFAULT_AC_FREQUENCY_HZ, Fluke5522aResidualSource, Output

__all__ = ["DEFAULT_AC_FREQUENCY_HZ", "Fluke5522aResidualSource", "Output"]
