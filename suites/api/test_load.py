"""Load: every request of several clients polling at once is answered within the timeout (field-facts §1).

A charger at home is polled by the vendor's app, a Home Assistant integration and, on a bench, the
suite, each on its own HTTP connection.  :data:`POLLERS` are those clients and the read methods each
polls, back to back; ``--load-pollers N`` runs N of them (beyond three, the mixes repeat) for
``--load-duration`` wall seconds (fixtures/load.py), all within the bench's request-rate limit.

A request the charger leaves unanswered past the profile's ``timeout_s`` is the charger's failure here
(a product verdict: the load is the stimulus), not a bench fault as it is anywhere else; a refused
connection still is one.  The p50 and p99 latencies are attached, recorded as JUnit properties and
printed in the terminal summary (``load: ...``).
"""
from __future__ import annotations

import itertools

import allure
import pytest

from fixtures.load import LoadPlan, LoadReport, Poller, PollerClient, run_load
from instruments.charger_rpc import ChargerClient
from reports.allure_support import cover

pytestmark = [pytest.mark.api, pytest.mark.load]

POLLERS = (
    Poller("vendor app", ("Charger_info.Get", "App_config.Get", "System_currents.Get")),
    Poller("Home Assistant", ("Charger_info.Get", "Wifi_status.Get", "Dynamic_current.Get", "Active_errors.Get")),
    Poller("suite", ("Charger_info.Get", "App_config.Get", "Charger_config.Get", "Logged_errors.Get")),
)


def pollers(count: int) -> list[Poller]:
    """``count`` pollers: the three clients of :data:`POLLERS`, then the same mixes again, numbered."""
    cycled = itertools.islice(itertools.cycle(POLLERS), count)
    return [p if i < len(POLLERS) else Poller(f"{p.name} #{i // len(POLLERS) + 1}", p.methods)
            for i, p in enumerate(cycled)]


async def test_concurrent_pollers_are_each_answered_within_the_timeout(
        charger: ChargerClient, poller_client: PollerClient, load_plan: LoadPlan, load_reports: list[LoadReport],
        request: pytest.FixtureRequest) -> None:
    cover("1 Commands format", title=f"{load_plan.pollers} concurrent pollers: every request answered within "
                                     f"{load_plan.timeout_s:g} s")
    clients = [(poller, await poller_client()) for poller in pollers(load_plan.pollers)]
    report = await run_load(clients, load_plan.duration_s, load_plan.timeout_s)
    load_reports.append(report)
    allure.attach(report.to_json(), name="load: requests and latency per poller",
                  attachment_type=allure.attachment_type.JSON)
    summary = report.summary
    properties = [("load", report.line())]
    if summary is not None:
        properties += [("load_p50_ms", f"{summary.p50_s * 1e3:.2f}"), ("load_p99_ms", f"{summary.p99_s * 1e3:.2f}")]
    request.node.user_properties.extend(properties)  # JUnit properties (record_property warns under xunit2)
    print(f"load: {report.line()}")
    slowest = summary.text() if summary else "none answered"
    unanswered = report.unanswered
    assert not unanswered, (
        f"{len(unanswered)} of {len(report.samples)} requests got no answer within {load_plan.timeout_s:g} s from "
        f"{load_plan.pollers} concurrent pollers: first {unanswered[0].method} by {unanswered[0].poller} "
        f"({unanswered[0].error}); answered: {slowest}")
    refused = report.refused
    assert not refused, (f"{len(refused)} reads under load answered with an error: first {refused[0].method} by "
                         f"{refused[0].poller}: {refused[0].error}")
    assert summary is not None, f"no request of {load_plan.pollers} pollers completed in {load_plan.duration_s:g} s"
