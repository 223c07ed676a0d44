"""Root conftest: the bench, charger, instrument and report plugins every suite runs with."""
pytest_plugins = [
    "fixtures.options",
    "fixtures.verdicts",
    "fixtures.bench",
    "fixtures.charger",
    "fixtures.instruments",
    "fixtures.safe_state",
    "reports.plugin",
    "fixtures.verification",
]
