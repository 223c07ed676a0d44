"""What a run of the suites covered of the spec, read from its Allure results.

Two kinds of evidence, both from passing tests only:

* the spec-section labels (``story``) the tests put on themselves: methods, application keys and
  charger keys covered;
* the masked RPC exchanges attached to the tests: for each method, which error codes the charger
  was actually made to answer, compared with the codes the spec table says its inputs can provoke
  (-2 a missing required param, -3 a length rule, -4 a range, -5 a type, -6 an unknown key, -7 a
  state restriction).

``python -m reports.spec_coverage RESULTS_DIR`` prints the figures.
"""
from __future__ import annotations

import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reference.spec import APP_KEYS, CHARGER_KEYS, METHODS, JsonType, method
from reference.spec.schema import Method

CODES = (-2, -3, -4, -5, -6, -7)
SECTION_LABELS = ("story", "covers")
"""A test's primary section (``story``) and every section it covers (``covers``: reports.allure_support.cover)."""


def provokable_codes(m: Method) -> set[int]:
    """The error codes the spec lets a caller provoke from this method's inputs."""
    codes: set[int] = set()
    for param in m.params:
        codes.add(-5)
        if param.required:
            codes.add(-2)
        if param.min_length is not None or param.max_length is not None:
            codes.add(-3)
        if param.minimum is not None or param.maximum is not None or param.type is JsonType.ARRAY:
            codes.add(-4)
    if m.name == "App_config.Set":
        codes |= {-4, -6}
    if m.allowed_states is not None:
        codes.add(-7)
    return codes


@dataclass
class Coverage:
    stories: set[str] = field(default_factory=set)
    provoked: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    def methods_covered(self) -> list[str]:
        return [m.name for m in METHODS if m.label in self.stories]

    def keys_covered(self, keys: tuple[Any, ...]) -> list[str]:
        return [k.name for k in keys if k.label in self.stories]

    def missing_codes(self) -> dict[str, set[int]]:
        return {m.name: provokable_codes(m) - self.provoked.get(m.name, set())
                for m in METHODS if provokable_codes(m) - self.provoked.get(m.name, set())}


def _error_code(reply: Any) -> int | None:
    if isinstance(reply, dict):
        error = reply.get("error", reply)
        if isinstance(error, dict) and isinstance(error.get("code"), int):
            return error["code"]
    return None


def _method_of(exchange: dict[str, Any]) -> str | None:
    name = exchange.get("method", "")
    body = exchange.get("request_body")
    if isinstance(body, dict) and isinstance(body.get("method"), str):
        name = body["method"]
    elif "/rpc/" in exchange.get("url", ""):
        name = exchange["url"].split("/rpc/", 1)[1].split("?", 1)[0]
    try:
        return method(name).name
    except KeyError:
        return None


def read_results(results: Path) -> Coverage:
    coverage = Coverage()
    for path in results.glob("*-result.json"):
        result = json.loads(path.read_text())
        if result.get("status") != "passed":
            continue
        coverage.stories |= {label["value"] for label in result.get("labels", []) if label["name"] in SECTION_LABELS}
        for attachment in _attachments(result):
            if not attachment["name"].startswith("RPC "):
                continue
            exchange = json.loads((results / attachment["source"]).read_text())
            code, name = _error_code(exchange.get("reply_body")), _method_of(exchange)
            if code in CODES and name is not None:
                coverage.provoked[name].add(code)
    return coverage


def _attachments(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(node.get("attachments", []))
    for step in node.get("steps", []):
        found += _attachments(step)
    return found


def summary(coverage: Coverage) -> str:
    lines = [f"methods covered: {len(coverage.methods_covered())}/{len(METHODS)}",
             f"application keys covered: {len(coverage.keys_covered(APP_KEYS))}/{len(APP_KEYS)}",
             f"charger keys covered: {len(coverage.keys_covered(CHARGER_KEYS))}/{len(CHARGER_KEYS)}"]
    for code in CODES:
        can = [m.name for m in METHODS if code in provokable_codes(m)]
        did = [n for n in can if code in coverage.provoked.get(n, set())]
        lines.append(f"code {code}: provoked on {len(did)}/{len(can)} methods whose inputs can provoke it")
    return "\n".join(lines)


def markdown(coverage: Coverage) -> str:
    """The spec-coverage matrix for the report's overview: the figures, then one row per method with
    the codes its inputs can provoke (✓ provoked by a passing test, ✗ not provoked, · not provokable),
    then the keys no passing test covered."""
    lines = ["# Spec coverage (passing tests only)", "", "```text", summary(coverage), "```", "",
             "| section | method | covered | " + " | ".join(str(code) for code in CODES) + " |",
             "|---|---|---|" + "---|" * len(CODES)]
    covered = set(coverage.methods_covered())
    for m in METHODS:
        can, did = provokable_codes(m), coverage.provoked.get(m.name, set())
        cells = ["✓" if code in did else ("✗" if code in can else "·") for code in CODES]
        lines.append(f"| {m.section} | {m.name} | {'✓' if m.name in covered else '✗'} | " + " | ".join(cells) + " |")
    for title, keys in (("application keys", APP_KEYS), ("charger keys", CHARGER_KEYS)):
        missing = sorted({k.name for k in keys} - set(coverage.keys_covered(keys)))
        lines += ["", f"{title} not covered: {', '.join(missing) if missing else 'none'}"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(summary(read_results(Path(sys.argv[1]))))
