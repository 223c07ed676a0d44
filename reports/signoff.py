"""The release run's one-page sign-off summary (Markdown and HTML): what a release manager signs.

``pytest --profile release`` ends by writing it next to the Allure results and into
``reports/out/release/`` (fixtures.run_profiles).  It answers, on one page, the questions asked before a
firmware ships: which firmware on which unit (from what the charger itself reported: the report's
environment), on which bench and instruments (each ``*IDN?``), the verdict per spec chapter and section
(a test's section is its first ``cover()``; a test without one is grouped by its verification area), each
failure with its section and its one-line message, the spec ambiguities the charger met, what was
skipped or inconclusive and why, the exit code and what it means, and one sign-off line.

The line says ``RELEASE SIGN-OFF: PASS`` only when every verification area is verified, at time scale
1.0, on a bench that is not virtual: a simulated charger proves the suite, not the product, and a timing
judged at another time scale is not the charger's timing.  Otherwise it says plainly that this is not a
release sign-off, and why.
"""
from __future__ import annotations

import html
import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fixtures.verification import EXPLAINED, UNVERIFIED, Outcome, Verification
from reports.allure_support import RunRecord
from reports.sections import chapter_of  # the report's own grouping: one table of chapters

BY_AREA = "by verification area (no spec section)"
EXIT_MEANINGS = {
    0: "every test that ran passed, and every required area was verified",
    1: "a product failure: the charger failed an assertion or answered an RPC error it should not have "
       "(or a harness error: a bug in this project)",
    2: "interrupted (Ctrl-C, SIGTERM, SIGHUP): the teardowns ran, the bench was put back safe",
    3: "bench fault: the charger or a bench service did not answer, or every red result was the bench's",
    4: "usage error, before any test",
    5: "no tests collected",
    7: "requirement not met: a required area has a skipped, deselected or inconclusive test, or none",
}
"""README "Exit codes", in one line each."""
RELEASE_TIME_SCALE = 1.0
AREAS_NAMED = 6
"""How many unverified areas the sign-off line names (the areas table lists them all)."""


@dataclass(frozen=True)
class SectionVerdict:
    """One spec section's (or one area's) tests, counted by outcome, and the verdict they add up to."""

    chapter: str
    section: str
    counts: Mapping[str, int]

    @property
    def tests(self) -> int:
        return sum(self.counts.values())

    @property
    def status(self) -> str:
        if self.counts.get(Outcome.FAILED.value):
            return "FAILED"
        if any(self.counts.get(o.value) for o in UNVERIFIED):
            return "not verified"
        return "verified"

    @property
    def detail(self) -> str:
        return ", ".join(f"{self.counts[o.value]} {o.value}" for o in Outcome if self.counts.get(o.value))


@dataclass(frozen=True)
class Failure:
    section: str
    test: str
    whose: str          # product, bench or harness (fixtures.verdicts)
    message: str


@dataclass(frozen=True)
class AmbiguityMet:
    id: str
    section: str
    summary: str
    readings: tuple[str, ...]
    tests: int


@dataclass(frozen=True)
class SignOff:
    """Everything the page shows, decided once; :func:`markdown` and :func:`html_page` only lay it out."""

    firmware: str
    serial: str
    board_revision: str
    bench: str
    bench_profile: str
    virtual: bool
    time_scale: float
    instruments: tuple[tuple[str, str], ...]
    sections: tuple[SectionVerdict, ...]
    areas: tuple[tuple[str, str, str], ...]          # (area, status, detail)
    failures: tuple[Failure, ...]
    ambiguities: tuple[AmbiguityMet, ...]
    unverified: tuple[tuple[str, str, int], ...]     # (outcome, reason, tests)
    exit_code: int
    finished_utc: str
    line: str
    why_not: tuple[str, ...] = field(default=())

    @property
    def signed(self) -> bool:
        return self.line == "RELEASE SIGN-OFF: PASS"

    @property
    def exit_meaning(self) -> str:
        return EXIT_MEANINGS.get(self.exit_code, "see README: Exit codes")


def _natural(text: str) -> tuple[object, ...]:
    """Sort ``6.2`` before ``6.15``, and the numbered chapters before the standards."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part)


def section_verdicts(verification: Verification, sections: Mapping[str, str]) -> list[SectionVerdict]:
    """Each test counted once: under its spec section, else under its first verification area."""
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for nodeid, record in verification.tests.items():
        outcome = (record.outcome or Outcome.NOT_JUDGED).value
        section = sections.get(nodeid)
        if section:
            counts[(chapter_of(section), section)][outcome] += 1
        else:
            counts[(BY_AREA, record.areas[0] if record.areas else "(no area)")][outcome] += 1
    ordered = sorted(counts, key=lambda key: (key[0] == BY_AREA, _natural(key[0]), _natural(key[1])))
    return [SectionVerdict(chapter, section, dict(counts[(chapter, section)])) for chapter, section in ordered]


def _sign_off_line(virtual: bool, time_scale: float, bench: str, exit_code: int,
                   areas: list[tuple[str, str, str]], product_failures: int) -> tuple[str, tuple[str, ...]]:
    not_verified = [name for name, status, _ in areas if status != "verified"]
    failed = [name for name, status, _ in areas if status == "FAILED"]
    others = [name for name in not_verified if name not in failed]
    shown = ", ".join(others[:AREAS_NAMED]) + (f", … ({len(others)} areas)" if len(others) > AREAS_NAMED else "")
    this_run = ("every area verified" if not not_verified and exit_code == 0 else
                "; ".join(part for part in (f"{product_failures} product failure(s)" if product_failures else "",
                                            f"failed: {', '.join(failed)}" if failed else "",
                                            f"not verified: {shown}" if others else "",
                                            f"exit {exit_code}") if part))
    why: list[str] = []
    if virtual:
        why.append(f"the bench '{bench}' is virtual: a simulated charger and simulated instruments prove the "
                   "suite, not the product")
    if time_scale != RELEASE_TIME_SCALE:
        why.append(f"time scale {time_scale:g}, not {RELEASE_TIME_SCALE:g}: timings judged at another scale "
                   "are not the charger's own")
    if why:
        return f"NOT A RELEASE SIGN-OFF ({'; '.join(why)}). This run: {this_run}.", tuple(why)
    if not not_verified and exit_code == 0:
        return "RELEASE SIGN-OFF: PASS", ()
    return f"RELEASE SIGN-OFF: FAIL ({this_run})", ()


def build(verification: Verification, record: RunRecord, failures: Mapping[str, str], exit_code: int, *,
          bench: str, bench_profile: str, virtual: bool, time_scale: float, finished_utc: str,
          verdicts: Mapping[str, str] | None = None) -> SignOff:
    """The summary of one finished run.  ``failures``: each red test's one-line message; ``verdicts``:
    each red test's verdict class (fixtures.verdicts), when known better than the verification record's."""
    environment = record.environment
    sections = section_verdicts(verification, record.sections)
    areas = [(t.area.name, t.status,
              ", ".join(f"{t.counts[o]} {o.value}" for o in Outcome if t.counts[o]) or "no tests")
             for t in verification.tallies()]
    red = [(nodeid, test) for nodeid, test in verification.tests.items()
           if test.outcome in (Outcome.FAILED, Outcome.NOT_JUDGED)]
    failure_rows = tuple(Failure(record.sections.get(nodeid) or (test.areas[0] if test.areas else "(no area)"), nodeid,
                                 (verdicts or {}).get(nodeid) or test.verdict or "harness",
                                 failures.get(nodeid, test.reason) or "(no message)")
                         for nodeid, test in sorted(red, key=lambda pair: (pair[1].outcome is not Outcome.FAILED,
                                                                           _natural(pair[0]))))
    readings: dict[str, set[str]] = defaultdict(set)
    tests_of: dict[str, set[str]] = defaultdict(set)
    met: dict[str, tuple[str, str]] = {}
    for ambiguity in record.ambiguities:
        readings[ambiguity.id].add(ambiguity.reading)
        tests_of[ambiguity.id].add(ambiguity.test)
        met[ambiguity.id] = (ambiguity.section, ambiguity.summary)
    ambiguities = tuple(AmbiguityMet(aid, met[aid][0], met[aid][1], tuple(sorted(readings[aid])), len(tests_of[aid]))
                        for aid in sorted(met, key=lambda aid: (_natural(met[aid][0]), aid)))
    reasons: Counter[tuple[str, str]] = Counter()
    for test in verification.tests.values():
        if test.outcome in EXPLAINED and test.outcome is not Outcome.NOT_JUDGED:
            reasons[(test.outcome.value, test.reason)] += 1
    unverified = tuple((outcome, reason, count) for (outcome, reason), count in reasons.most_common())
    instruments = tuple(sorted((key.removesuffix(".idn"), value) for key, value in environment.items()
                               if key.endswith(".idn")))
    product = sum(1 for row in failure_rows if row.whose == "product")
    line, why = _sign_off_line(virtual, time_scale, bench, exit_code, areas, product)
    return SignOff(environment.get("charger.fw_version", "not read"),
                   environment.get("charger.serial_number", "not read"),
                   environment.get("charger.board_revision", "not read"), bench, bench_profile, virtual, time_scale,
                   instruments, tuple(sections), tuple(areas), failure_rows, ambiguities, unverified, int(exit_code),
                   finished_utc, line, why)


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown(signoff: SignOff) -> str:
    s = signoff
    out = [f"# Release sign-off summary\n\n**{s.line}**\n",
           "| | |", "|---|---|",
           f"| firmware under test | {_cell(s.firmware)} |", f"| serial number | {_cell(s.serial)} |",
           f"| board revision | {_cell(s.board_revision)} |",
           f"| bench | {_cell(s.bench)} ({'virtual' if s.virtual else 'real'}; profile `{_cell(s.bench_profile)}`) |",
           f"| time scale | {s.time_scale:g} |", f"| finished (UTC) | {s.finished_utc} |",
           f"| exit code | {s.exit_code}: {_cell(s.exit_meaning)} |"]
    out += [f"| instrument `{_cell(name)}` | {_cell(idn)} |" for name, idn in s.instruments] or [
        "| instruments | none identified (no `*IDN?` was read in this run) |"]
    out += ["", "## Verification areas", "", "| area | status | tests |", "|---|---|---|"]
    out += [f"| {name} | {status} | {_cell(detail)} |" for name, status, detail in s.areas]
    out += ["", "## Verdict per spec chapter and section", "", "| chapter | section | verdict | tests |",
            "|---|---|---|---|"]
    previous = None
    for row in s.sections:
        out.append(f"| {_cell(row.chapter) if row.chapter != previous else ''} | {_cell(row.section)} | "
                   f"{row.status} | {_cell(row.detail)} |")
        previous = row.chapter
    out += _section(f"Failures ({len(s.failures)})", ["section", "test", "whose", "message"],
                    [[_cell(f.section), f"`{_cell(f.test)}`", f.whose, _cell(f.message)] for f in s.failures], "None.")
    out += _section(f"Spec ambiguities met ({len(s.ambiguities)})",
                    ["ambiguity", "section", "reading the charger chose", "tests"],
                    [[a.id, _cell(a.section), _cell("; ".join(a.readings)), str(a.tests)] for a in s.ambiguities],
                    "None met.")
    total = sum(count for _, _, count in s.unverified)
    out += _section(f"Skipped and inconclusive ({total})", ["outcome", "tests", "reason"],
                    [[outcome, str(count), _cell(reason)] for outcome, reason, count in s.unverified], "None.")
    return "\n".join(out) + "\n"


def _section(title: str, header: list[str], rows: list[list[str]], empty: str) -> list[str]:
    """A Markdown section: its heading, then its table, or ``empty`` when it has no rows."""
    lines = ["", f"## {title}", ""]
    if not rows:
        return lines + [empty]
    return lines + ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + [
        "| " + " | ".join(row) + " |" for row in rows]


STYLE = ("body{font:14px/1.4 system-ui,sans-serif;max-width:72em;margin:1.5em auto;padding:0 1em}"
         "table{border-collapse:collapse;margin:.5em 0 1.2em}td,th{border:1px solid #ccc;padding:2px 8px;"
         "text-align:left;vertical-align:top}th{background:#f3f3f3}.line{font-size:1.4em;font-weight:bold;"
         "padding:.4em .6em;border:2px solid}.pass{color:#0a6b2d}.fail{color:#b00020}.not{color:#8a5a00}"
         "code{font-size:12px}")


def _table(header: list[str], rows: list[list[str]]) -> str:
    """Cells are escaped here; ``<code>`` is the one markup a cell may ask for (``` `x` ```)."""
    def cell(text: str) -> str:
        escaped = html.escape(text)
        return re.sub(r"`([^`]*)`", r"<code>\1</code>", escaped)
    head = "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>" if any(header) else ""
    body = "".join("<tr>" + "".join(f"<td>{cell(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table>{head}{body}</table>"


def html_page(signoff: SignOff) -> str:
    s = signoff
    tone = "pass" if s.signed else ("fail" if s.line.startswith("RELEASE SIGN-OFF: FAIL") else "not")
    identity = [["firmware under test", s.firmware], ["serial number", s.serial], ["board revision", s.board_revision],
                ["bench", f"{s.bench} ({'virtual' if s.virtual else 'real'}; profile `{s.bench_profile}`)"],
                ["time scale", f"{s.time_scale:g}"], ["finished (UTC)", s.finished_utc],
                ["exit code", f"{s.exit_code}: {s.exit_meaning}"]]
    identity += [[f"instrument `{name}`", idn] for name, idn in s.instruments] or [
        ["instruments", "none identified (no *IDN? was read in this run)"]]
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>Release sign-off: {html.escape(s.firmware)}"
             f"</title><style>{STYLE}</style></head><body><h1>Release sign-off summary</h1>",
             f"<p class='line {tone}'>{html.escape(s.line)}</p>", _table(["", ""], identity),
             "<h2>Verification areas</h2>", _table(["area", "status", "tests"], [list(a) for a in s.areas]),
             "<h2>Verdict per spec chapter and section</h2>",
             _table(["chapter", "section", "verdict", "tests"],
                    [[r.chapter, r.section, r.status, r.detail] for r in s.sections]),
             f"<h2>Failures ({len(s.failures)})</h2>",
             _table(["section", "test", "whose", "message"], [[f.section, f"`{f.test}`", f.whose, f.message]
                                                              for f in s.failures]) if s.failures else "<p>None.</p>",
             f"<h2>Spec ambiguities met ({len(s.ambiguities)})</h2>",
             _table(["ambiguity", "section", "reading the charger chose", "tests"],
                    [[a.id, a.section, "; ".join(a.readings), str(a.tests)] for a in s.ambiguities])
             if s.ambiguities else "<p>None met.</p>",
             f"<h2>Skipped and inconclusive ({sum(c for _, _, c in s.unverified)})</h2>",
             _table(["outcome", "tests", "reason"], [[o, str(c), r] for o, r, c in s.unverified])
             if s.unverified else "<p>None.</p>", "</body></html>\n"]
    return "".join(parts)


def write(signoff: SignOff, directories: list[Path], stem: str = "signoff") -> list[Path]:
    """``<stem>.md`` and ``<stem>.html`` in each directory; the paths written."""
    written: list[Path] = []
    text, page = markdown(signoff), html_page(signoff)
    for directory in directories:
        directory.mkdir(parents=True, exist_ok=True)
        for suffix, content in ((".md", text), (".html", page)):
            path = directory / f"{stem}{suffix}"
            path.write_text(content, encoding="utf-8")
            written.append(path)
    return written

