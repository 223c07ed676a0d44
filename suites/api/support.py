"""Helpers the API suites share: reading labels from the ambiguity table, and config_value forms."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from instruments.charger_rpc.values import ocpp_spelling as spelled
from reference.spec import AMBIGUITIES_BY_ID


def reading(ambiguity_id: str, name: str) -> str:
    """The text of reading ``name`` of an ambiguity (what a test labels the report with)."""
    return AMBIGUITIES_BY_ID[ambiguity_id].reading(name)


def label(ambiguity_id: str, name: str) -> tuple[str, str]:
    """(ambiguity id, reading text): the label an accepted code or outcome stands for."""
    return ambiguity_id, reading(ambiguity_id, name)


@dataclass(frozen=True)
class ConfigValueForm:
    """How this charger takes App_config.Set's config_value (ambiguity config_value_type): natively when it
    can, else as the 'OCPP style' string.  Tests that set a key as a *precondition* encode with it, so a
    precondition never fails on a reading; the forms themselves are judged in test_method_params."""

    native: bool

    def __call__(self, value: Any) -> Any:
        return value if self.native else spelled(value)
