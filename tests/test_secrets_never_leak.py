"""No credential in clear in anything a failing credential run writes (issue 10, part 5).

The credentials suite runs against a virtual charger with unusual credentials (a PIN, an AP password,
HTTP Digest user and password: :data:`CREDENTIALS`) and the catalogue's credential defects
(:data:`DEFECTS`), so its tests fail on purpose, with every output a lab could keep switched on:
``--tb=long -l`` (each failing frame's locals), ``-rA``, JUnit XML with captured output, Allure
results, a DEBUG log file and the captured terminal.  Every one of those, and the as-found journal
(``--journal`` into the same directory, if the run leaves one), is searched for each credential in
clear (as written and URL-unquoted): 0 hits.

A control run proves the search would see a leak: the same set-up with the scrubbing plugin
(``fixtures.secrecy``) off and a plugin that writes each revealed value to the terminal, the JUnit
properties, an Allure attachment and the log: every credential is found in every channel.

The virtual charger's own flash (``bench-state*``: the unit's memory, as on a real charger) and the
profile written here are inputs, not outputs, and are not searched.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VIRTUAL = PROJECT_ROOT / "benches" / "virtual.toml"
SUITE = "suites/api/test_credentials.py"

CREDENTIALS = {"pin": "5920", "ap_password": "Hil-Ap-Secret-k5q8", "username": "hil-bench-user-w3",
               "password": "Dg-pw-84kq-Secret"}
"""Values no test, id, port or timestamp would spell by chance (the PIN is none of the suite's wrong PINs)."""

DEFECTS = ("pin_check_accepts_any", "pin_length_unchecked", "pin_digits_unchecked", "ap_password_short_accepted",
           "ap_password_long_accepted", "ap_password_empty_rejected")
"""Every credential defect of the catalogue: each PIN and AP password test that can fail on them does."""

OUTPUT_OPTIONS = ("--tb=long", "-l", "-rA", "--log-level=DEBUG", "-o", "junit_logging=all", "-p", "no:cacheprovider")
RUN_TIMEOUT_S = 120
MIN_FAILED = 12  # of the suite's ~27 tests; the rest cannot fail on a credential defect (e.g. valid lengths)

UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
"""Allure names every result and attachment by a uuid4: a 4-hex group could spell a 4-digit PIN."""


def pattern_of(value: str) -> re.Pattern[str]:
    """A credential as it could appear: a PIN standing alone (not inside a longer number, word or decimal,
    so a timestamp or duration is no hit), a longer value anywhere."""
    if len(value) >= 6:
        return re.compile(re.escape(value))
    return re.compile(rf"(?<![0-9A-Za-z.]){re.escape(value)}(?![0-9A-Za-z])")


PATTERNS = {name: pattern_of(value) for name, value in CREDENTIALS.items()}


def hits_in(text: str) -> dict[str, list[str]]:
    """Each credential's hits in ``text``, as written or URL-unquoted (whichever shows more), each with 40
    characters of context."""
    text = UUID.sub("<uuid>", text)
    found: dict[str, list[str]] = {}
    for form in dict.fromkeys((text, unquote(text))):
        for name, pattern in PATTERNS.items():
            contexts = [form[max(0, m.start() - 40):m.end() + 40] for m in pattern.finditer(form)]
            if len(contexts) > len(found.get(name, [])):
                found[name] = contexts
    return found


@dataclass(frozen=True)
class Run:
    """One pytest run of the credentials suite and where it wrote."""

    code: int
    terminal: str
    out: Path
    seconds: float

    def files(self) -> list[Path]:
        """Every output file of the run: Allure results, JUnit XML, the log, anything else it left
        (a journal included), except the virtual charger's flash."""
        return sorted(p for p in self.out.rglob("*") if p.is_file()
                      and not any(part.startswith("bench-state") for part in p.relative_to(self.out).parts))

    def hits(self) -> dict[str, dict[str, int]]:
        """Hits per credential per channel (``terminal`` or a file path relative to the output dir)."""
        table: dict[str, dict[str, int]] = {name: {} for name in CREDENTIALS}
        channels = {"terminal": self.terminal}
        channels.update({str(p.relative_to(self.out)): p.read_text(errors="replace") for p in self.files()})
        for channel, text in channels.items():
            for name, contexts in hits_in(text).items():
                table[name][channel] = len(contexts)
        return table

    def failed_tests(self) -> list[str]:
        root = ET.parse(self.out / "junit.xml").getroot()
        return [case.get("name", "") for case in root.iter("testcase")
                if case.find("failure") is not None or case.find("error") is not None]


def profile_with_credentials(directory: Path) -> Path:
    """benches/virtual.toml with :data:`CREDENTIALS` written in and the simulator launched with them."""
    text = VIRTUAL.read_text()
    c = CREDENTIALS
    for old, new in (
        ('"--state-dir", "{state_dir}"]',
         f'"--state-dir", "{{state_dir}}", "--pin", "{c["pin"]}", "--auth", "{c["username"]}:{c["password"]}"]'),
        ('pin = "1234"', f'pin = "{c["pin"]}"'),
        ('ap_password = ""', f'ap_password = "{c["ap_password"]}"\nusername = "{c["username"]}"\n'
                             f'password = "{c["password"]}"\nauth = "digest"'),
    ):
        assert text.count(old) == 1, f"benches/virtual.toml no longer has {old!r}: update this test"
        text = text.replace(old, new)
    path = directory / "virtual-with-credentials.toml"
    path.write_text(text)
    return path


def run_credentials_suite(tmp: Path, *extra: str, env: dict[str, str] | None = None) -> Run:
    inputs, out = tmp / "in", tmp / "out"
    inputs.mkdir(exist_ok=True)
    out.mkdir()
    command = [sys.executable, "-m", "pytest", SUITE, "--bench", str(profile_with_credentials(inputs)),
               *OUTPUT_OPTIONS, f"--junitxml={out / 'junit.xml'}", f"--alluredir={out / 'allure'}",
               f"--log-file={out / 'run.log'}", "--log-file-level=DEBUG", f"--basetemp={out / 'basetemp'}",
               f"--journal={out / 'journal' / 'as-found.json'}", *extra]
    started = time.monotonic()
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})})
    return Run(done.returncode, done.stdout + done.stderr, out, time.monotonic() - started)


LEAK_PLUGIN = textwrap.dedent('''
    """Control: writes every bench credential, revealed, to each channel the leak search reads."""
    import logging

    import allure
    import pytest

    NAMES = ("pin", "ap_password", "username", "password")
    LEAKED = []


    @pytest.fixture(autouse=True)
    def leak(bench, record_property):
        values = [bench.profile.secret("charger", name).reveal() for name in NAMES]
        LEAKED[:] = values
        for name, value in zip(NAMES, values):
            record_property(f"leaked_{name}", value)                 # JUnit XML
            allure.attach(value, name=f"leaked {name}")              # Allure results
            logging.getLogger("leak").warning("leaked %s", value)   # the log file


    def pytest_terminal_summary(terminalreporter):
        for value in LEAKED:                                         # the terminal
            terminalreporter.write_line(f"leaked {value}")
''')


def test_a_failing_credential_run_leaves_no_credential_in_clear(tmp_path: Path) -> None:
    run = run_credentials_suite(tmp_path, *(f"--defect={d}" for d in DEFECTS))
    failed = run.failed_tests()
    assert run.code == 1 and len(failed) >= MIN_FAILED, (
        f"the credential defects should fail at least {MIN_FAILED} tests with a product failure (exit 1); "
        f"exit {run.code}, failed {failed}; {run.terminal[-3000:]}")
    assert len(run.files()) > 10, f"the run wrote almost nothing to search: {run.files()}"
    table = run.hits()
    print(f"credentials run: {len(failed)} failed tests ({', '.join(failed)}), {len(run.files())} files "
          f"+ terminal searched in {run.seconds:.1f} s; clear-text hits: "
          + ", ".join(f"{name} {sum(channels.values())}" for name, channels in table.items()))
    leaks = {name: channels for name, channels in table.items() if channels}
    contexts = hits_in(run.terminal + "".join(p.read_text(errors="replace") for p in run.files()))
    assert not leaks, f"credentials in clear: {leaks}; e.g. {({k: v[:3] for k, v in contexts.items()})}"


def test_the_leak_search_finds_a_credential_written_to_any_channel(tmp_path: Path) -> None:
    """The control: with the scrubbing plugin off, each value a plugin writes is found where it was written."""
    (tmp_path / "plugin").mkdir()
    (tmp_path / "plugin" / "leak_control.py").write_text(LEAK_PLUGIN)
    run = run_credentials_suite(tmp_path, "-p", "no:fixtures.secrecy", "-p", "leak_control",
                                "-k", "pin_check_refuses_a_wrong_pin and 0",
                                env={"PYTHONPATH": str(tmp_path / "plugin")})
    assert run.code == 0, f"the control run should pass; exit {run.code}: {run.terminal[-3000:]}"
    table = run.hits()
    for name, channels in table.items():
        found = {"terminal": channels.get("terminal", 0), "junit": channels.get("junit.xml", 0),
                 "log": channels.get("run.log", 0),
                 "allure": sum(n for channel, n in channels.items() if channel.startswith("allure"))}
        assert all(found.values()), f"the search missed {name} written to a channel: {found}"


# --- the plugin's hooks, on a plain copy of a credential (no charger needed) --------------------------------------
TINY_SUITE = textwrap.dedent("""
    import logging
    import os

    import pytest

    CODES = [os.environ["LAB_PIN"], "0000"]  # a lab's own test, parametrized with the PIN in clear


    @pytest.mark.parametrize("code", CODES)
    def test_code(code):
        plain = os.environ["LAB_PIN"] + ""
        logging.getLogger("lab").warning("trying code %s (plain %s)", code, plain)
        print("printed", plain)
        assert code == "nope", f"plain copy {plain}"


    def test_message_carries_a_plain_copy():
        raise AssertionError("the PIN is " + os.environ["LAB_PIN"])
""")


@pytest.fixture
def lab(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A lab's directory: the plugin by its entry-point name, a profile whose PIN comes from ``LAB_PIN``."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("LAB_PIN", CREDENTIALS["pin"])
    pytester.makeini("[pytest]\naddopts = -p lektrico_hil -p asyncio -p allure_pytest -p no:cacheprovider\n"
                     "asyncio_mode = auto\n")
    pytester.makefile(".toml", lab='name = "lab"\n[charger]\nurl = "http://192.0.2.10"\npin_env = "LAB_PIN"\n')
    return pytester


def test_ids_assertions_logs_and_reports_of_a_plain_copy_are_scrubbed(lab: pytest.Pytester) -> None:
    pytester = lab
    pytester.makepyfile(test_lab=TINY_SUITE)
    out = pytester.path / "out"
    result = pytester.runpytest_subprocess(
        "--bench", "lab.toml", *OUTPUT_OPTIONS, f"--junitxml={out / 'junit.xml'}", f"--alluredir={out / 'allure'}",
        f"--log-file={out / 'run.log'}", "--log-file-level=DEBUG")
    run = Run(result.ret, "\n".join(result.outlines + result.errlines), out, 0.0)
    assert result.ret == 1 and len(run.failed_tests()) == 3, run.terminal[-3000:]
    assert "test_code[code=***]" in run.terminal, "the id spelling the PIN is masked"
    pin_hits = {channel: n for channel, n in run.hits()["pin"].items()}
    assert not pin_hits, f"the PIN in clear: {pin_hits}; {hits_in(run.terminal)}"


def test_an_id_written_by_hand_that_spells_a_credential_is_a_usage_error(lab: pytest.Pytester) -> None:
    lab.makepyfile(test_lab='import os\nimport pytest\n\n'
                            '@pytest.mark.parametrize("code", [pytest.param(1, id="pin-" + os.environ["LAB_PIN"])])\n'
                            'def test_code(code):\n    pass\n')
    result = lab.runpytest_subprocess("--bench", "lab.toml")
    output = "\n".join(result.outlines + result.errlines)
    assert result.ret == 4 and "test_lab.py::test_code: a parameter id given by hand spells a bench credential" \
        in output, output
    assert not hits_in(output), hits_in(output)


def test_a_launch_failure_masks_the_credential_options() -> None:
    """A bench service that does not come up is reported with its command: never with its credentials."""
    from fixtures.launcher import shown
    command = ["python", "-m", "simulator", "--pin", "5920", "--auth=bench:pw-x", "--port", "0"]
    assert shown(command) == ["python", "-m", "simulator", "--pin", "***", "--auth=***", "--port", "0"]
