"""The pytest.ini of a pytester directory that runs the installed plugin as a lab's own directory would."""
from __future__ import annotations


def plugin_ini(markers: dict[str, str], *extra: str) -> str:
    """``[pytest]`` loading the ``lektrico_hil`` plugin by its entry-point name (with asyncio and allure, as
    autoloading may be off), the plugin's event-loop settings, ``extra`` ini lines, and ``markers``.  The
    labgrid and hypothesis plugins stay off: each costs a pytester run about a second of imports and none of
    these runs uses them.  (The project's own process keeps hypothesis's plugin: a configuration pytester
    parses in-process loads every entry point again, and hypothesis's plugin must not load after hypothesis.)"""
    lines = ["[pytest]",
             "addopts = -p lektrico_hil -p asyncio -p allure_pytest -p no:cacheprovider -p no:labgrid "
             "-p no:hypothesispytest --strict-markers",
             "asyncio_mode = auto",
             "asyncio_default_fixture_loop_scope = session",
             "asyncio_default_test_loop_scope = session",
             *extra,
             "markers ="]
    return "\n".join(lines + [f"    {name}: {text}" for name, text in markers.items()]) + "\n"
