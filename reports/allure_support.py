"""Allure labels and attachments for the suites.

* :func:`cover` labels a test with the spec section it covers (feature = chapter, story =
  ``6.15 Install_current.Set``), so the report reads like the spec.
* :func:`attach_exchange` attaches every RPC exchange (already masked by the client) as JSON to
  the running test or step.
* :func:`ambiguity` labels a test that touched a place where the spec is silent or inconsistent,
  with the reading the charger chose, instead of passing or failing on our own guess.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import allure

from instruments.charger_rpc import Exchange
from suites.spec import AMBIGUITIES_BY_ID
from suites.spec.schema import ConfigKey, Method

_CHAPTERS = {"1": "1 Commands format", "3": "3 Error codes", "4": "4 Application configuration keys",
             "5": "5 Charger configuration keys", "6": "6 Commands",
             "IEC": "IEC 61851-1 / IEC 62053-21 (field facts)"}


@dataclass(frozen=True)
class AmbiguityRecord:
    test: str
    id: str
    section: str
    summary: str
    reading: str


RECORDED: list[AmbiguityRecord] = []
ENVIRONMENT: dict[str, str] = {}
"""What the run judged (bench, firmware, device id, defects): written to the report's environment."""
_current_test: list[str] = ["<outside a test>"]


def set_current_test(nodeid: str) -> None:
    _current_test[0] = nodeid


def cover(item: Method | ConfigKey | str, title: str | None = None) -> None:
    """Label the running test with the spec section it covers."""
    label = item if isinstance(item, str) else item.label
    chapter = label.split(".")[0].split(" ")[0]
    allure.dynamic.feature(_CHAPTERS.get(chapter, f"{chapter} (field facts)"))
    allure.dynamic.story(label)
    if title:
        allure.dynamic.title(title)


def attach_exchange(exchange: Exchange) -> None:
    name = f"RPC {exchange.method} ({exchange.style}) -> {exchange.status if exchange.status is not None else 'no reply'}"
    allure.attach(exchange.to_json(), name=name, attachment_type=allure.attachment_type.JSON)


def ambiguity(ambiguity_id: str, reading: str) -> None:
    """Record that the spec is ambiguous here and which reading the charger under test chose."""
    entry = AMBIGUITIES_BY_ID[ambiguity_id]
    allure.dynamic.label("ambiguity", ambiguity_id)
    allure.dynamic.tag(f"ambiguity:{ambiguity_id}")
    allure.attach(json.dumps({"ambiguity": ambiguity_id, "section": entry.section, "summary": entry.summary,
                              "readings": list(entry.readings), "charger_chose": reading}, indent=2),
                  name=f"Spec ambiguity {ambiguity_id}: {reading}", attachment_type=allure.attachment_type.JSON)
    RECORDED.append(AmbiguityRecord(_current_test[0], ambiguity_id, entry.section, entry.summary, reading))
