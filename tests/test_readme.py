"""The README's instructions are checked against the project, so they cannot rot (style.md)."""
from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from simulator.defects import CATALOGUE

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, re.S | re.M)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def test_quick_start_is_exactly_two_commands_naming_real_make_targets() -> None:
    block = re.search(r"```sh\n(.*?)```", section("Quick start"), re.S)
    assert block, "Quick start has no sh block"
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2, commands
    targets = set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), re.M))
    for command in commands:
        tool, target = command.split()
        assert tool == "make" and target in targets, f"{command!r}: no such make target in {sorted(targets)}"
    assert "make selftest" in (ROOT / ".ci" / "run").read_text(), "CI must run the second Quick-start command"


def test_every_defect_the_readme_names_is_catalogued() -> None:
    named = re.findall(r"--defect ([a-z0-9_]+)", README)
    assert named and all(name in CATALOGUE for name in named), named


def test_every_field_of_the_example_lab_profile_is_documented() -> None:
    profile = tomllib.loads((ROOT / "benches" / "example-lab.toml").read_text())
    table = section("A real lab bench profile")
    for key, value in profile.items():
        if key == "resources":  # one table per instrument: its keys are documented as [resources.<name>] key
            for name, resource in value.items():
                for field in resource:
                    assert f"`{field}`" in table or f"{field}`" in table, f"[resources.{name}] {field} is not documented"
        elif isinstance(value, dict):
            assert f"[{key}]" in table, f"section [{key}] is not documented"
            for field in value:
                assert f"`{field}`" in table or f"{field}`" in table, f"[{key}] {field} is not documented"
        else:
            assert f"`{key}`" in table, f"{key} is not documented"


def test_the_virtual_charger_command_line_in_the_readme_parses() -> None:
    done = subprocess.run([sys.executable, "-m", "simulator", "--list-defects"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and len(done.stdout.splitlines()) == len(CATALOGUE)


def test_every_profile_key_the_schema_knows_is_documented() -> None:
    from fixtures.profile import SCHEMA, Key

    table = section("A real lab bench profile")
    for name, spec in SCHEMA.items():
        if isinstance(spec, Key):
            assert f"`{name}`" in table, f"profile key {name} is not documented"
        else:
            assert f"[{name}" in table, f"section [{name}] is not documented"
            for key in spec:
                assert f"`{key}`" in table or f"{key}`" in table, f"[{name}] {key} is not documented"


def test_every_adapter_role_and_resource_key_is_documented() -> None:
    from instruments.roles import ROLE_FEATURES
    from rig.adapters import ADAPTERS, COMMON_SETTINGS

    table = section("A real lab bench profile")
    for name, spec in ADAPTERS.items():
        assert f"`{name}`" in table, f"adapter {name} is not documented"
        for key in (*COMMON_SETTINGS, *spec.settings):
            assert f"`{key}`" in table or f"{key}`" in table, f"resource key {key} ({name}) is not documented"
    for role in ROLE_FEATURES:
        assert f"`{role}`" in table, f"role {role} is not documented"


def test_the_exit_code_table_names_the_codes_the_run_uses() -> None:
    from fixtures.verification import AREAS, BENCH_FAULT, REQUIREMENT_NOT_MET

    codes = dict(re.findall(r"^\| (\d) \| (.+) \|$", section("Running against other benches"), re.M))
    assert {"0", "1", "3", "4", str(REQUIREMENT_NOT_MET)} <= set(codes), codes
    assert "bench fault" in codes[str(BENCH_FAULT)] and "requirement not met" in codes[str(REQUIREMENT_NOT_MET)]
    assert all(f"`{area.name}`" in section("Running against other benches") for area in AREAS)
