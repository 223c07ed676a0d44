"""Bench decisions (not IEC limits): the thresholds that tell "flows" from "does not flow"."""
NO_CURRENT_A = 0.5
"""Below this the mains current counts as none (analyzer noise floor; the safe state's figure)."""
CHARGING_CURRENT_MIN_A = 5.0
"""Above this, with a load set, current counts as flowing (below the charger's 6 A minimum, IEC §3)."""
DEFAULT_LOAD_A = 16.0
"""The most the simulated EV draws unless a test says otherwise (it still follows the PWM)."""
ANALYZER_ITEMS = ("U", "I", "P", "S", "LAMBda", "FU")
ANALYZER_UPDATE_S = 0.1
"""Fastest WT300E update: a reading lags the mains by at most two update periods."""
