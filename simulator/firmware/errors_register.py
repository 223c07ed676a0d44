"""Active and logged error flags (spec 6.9, 6.16).

An active error is true while its cause lasts; the logged copy latches it until
``Logged_errors.Reset``, so a fault that came and went is still on record (field-facts §5).
"""
from __future__ import annotations

ERROR_FLAGS = (
    "state_e_activated", "overtemp", "critical_temp", "overcurrent", "meter_fault", "voltage_error",
    "rcd_error", "rcd_test_error", "rcd_err_pin_error", "rcd_err6_pin_error", "rcd_init_start_error",
    "rcd_init_end_error", "state_f_activated", "contactor_failure", "cp_diode_failure",
    "undervoltage_error", "overvoltage_error", "state_machine_na_error",
)


class ErrorRegister:
    def __init__(self) -> None:
        self.active: dict[str, bool] = dict.fromkeys(ERROR_FLAGS, False)
        self.logged: dict[str, bool] = dict.fromkeys(ERROR_FLAGS, False)

    def set(self, flag: str, on: bool) -> None:
        self.active[flag] = on
        if on:
            self.logged[flag] = True

    def any_active(self) -> bool:
        return any(self.active.values())

    def reset_logged(self) -> None:
        self.logged = {flag: self.active[flag] for flag in ERROR_FLAGS}
