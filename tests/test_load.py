"""The load test's own parts (fixtures/load.py): the latency summary's math, the pollers' shared rate
limit, what counts as unanswered, and the virtual charger's concurrency defect.

Pollers here talk to an ``httpx.MockTransport`` charger (no process), except the defect's test, which
starts ``python -m simulator --defect stops_answering_under_concurrency``.
"""
from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import httpx
import pytest

from fixtures.launcher import BenchService
from fixtures.load import (LatencySummary, LoadReport, Poller, Sample, percentile, poll, poller_client_factory,
                           run_load)
from instruments.charger_rpc import BenchFault, ChargerClient
from instruments.charger_rpc.rate import RateLimit
from suites.api.test_load import POLLERS, pollers

PROJECT_ROOT = Path(__file__).resolve().parent.parent


# --- the latency summary --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("values", "q", "expected"), [
    pytest.param(list(range(1, 101)), 50, 50, id="1..100 p50"),
    pytest.param(list(range(1, 101)), 99, 99, id="1..100 p99"),
    pytest.param(list(range(1, 101)), 100, 100, id="1..100 p100 is the maximum"),
    pytest.param(list(range(100, 0, -1)), 99, 99, id="order does not matter"),
    pytest.param([7.0], 50, 7.0, id="one value is every percentile"),
    pytest.param([1, 2], 50, 1, id="two values: p50 the lower"),
    pytest.param([1, 2], 99, 2, id="two values: p99 the higher"),
    pytest.param([1] * 98 + [50, 60], 99, 50, id="p99 of 100 is the 99th"),
    pytest.param([1] * 99 + [60], 99, 1, id="one outlier of 100 is beyond p99"),
    pytest.param([1] * 199 + [60], 99, 1, id="p99 of 200 is the 198th"),
])
def test_percentile_is_nearest_rank(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == expected


@pytest.mark.parametrize(("values", "q"), [([], 50), ([1.0], 0), ([1.0], 101)])
def test_percentile_refuses_nothing_to_rank_and_out_of_range(values: list[float], q: float) -> None:
    with pytest.raises(ValueError):
        percentile(values, q)


def test_summary_ranks_answered_requests_only_and_names_the_slowest() -> None:
    samples = [Sample("app", "Charger_info.Get", 0.001 * n) for n in range(1, 101)]
    samples += [Sample("ha", "Wifi_status.Get", 0.5), Sample("ha", "App_config.Get", None, "no reply")]
    summary = LatencySummary.of(samples)
    assert summary is not None
    assert (summary.count, summary.p50_s, summary.p99_s, summary.max_s) == (101, pytest.approx(0.051), 0.1, 0.5)
    assert summary.slowest == "Wifi_status.Get by ha"
    assert LatencySummary.of([Sample("app", "x", None, "no reply")]) is None


def test_report_counts_unanswered_and_refused_reads() -> None:
    report = LoadReport(("app", "ha"), 2.0, 3.0, [Sample("app", "a", 0.002), Sample("ha", "b", None, "timeout"),
                                                   Sample("ha", "c", 0.003, "DeviceError: -1")])
    assert [s.method for s in report.unanswered] == ["b"] and [s.method for s in report.refused] == ["c"]
    assert report.line().startswith("2 pollers for 2 wall s: 3 requests, p50 2.0 ms, p99 3.0 ms")
    assert report.line().endswith("1 unanswered within 3 s")
    assert json.loads(report.to_json())["by_poller"]["app"]["p50_ms"] == 2.0


def test_pollers_beyond_the_three_clients_repeat_their_mixes_numbered() -> None:
    names = [p.name for p in pollers(7)]
    assert names[:3] == [p.name for p in POLLERS]
    assert names[3:] == ["vendor app #2", "Home Assistant #2", "suite #2", "vendor app #3"]
    assert pollers(7)[4].methods == POLLERS[1].methods


# --- pollers against a mock charger ------------------------------------------------------------------------------
def answering(fail_with: Exception | None = None):  # type: ignore[no-untyped-def]
    """A mock charger answering every frame at once (httpx enforces no timeout on a mock: a timeout is
    raised as the network would raise it)."""
    async def handler(request: httpx.Request) -> httpx.Response:
        if fail_with is not None:
            raise fail_with
        body = json.loads(request.content)
        return httpx.Response(200, json={"id": body["id"], "src": "1p7k_500006", "dst": body["src"], "result": {}})
    return handler


def session_with(handler, limit: RateLimit) -> ChargerClient:  # type: ignore[no-untyped-def]
    return ChargerClient("http://charger.test", transport=httpx.MockTransport(handler), rate_limit=limit,
                         timeout_s=0.2)


async def test_pollers_share_the_session_clients_rate_limit() -> None:
    """Three pollers on their own clients start no more requests together than the one limiter allows."""
    limit = RateLimit(40.0)
    session = session_with(answering(), limit)
    make, made = poller_client_factory(session, (), transport=httpx.MockTransport(answering()))
    clients = [(poller, await make()) for poller in POLLERS]
    assert all(c.rate_limit is limit for c in made) and len({id(c) for c in made}) == 3
    started = time.monotonic()
    report = await run_load(clients, 0.5, 0.2)
    elapsed = time.monotonic() - started
    assert limit.acquired == len(report.samples), "every poller request went through the shared limiter"
    assert len(report.samples) <= 40 * elapsed + 1, f"{len(report.samples)} requests in {elapsed:.2f} s at 40/s"
    assert {s.poller for s in report.samples} == {p.name for p in POLLERS}
    for client in made:
        await client.aclose()


async def test_a_request_unanswered_within_the_timeout_is_a_sample_and_ends_its_poller() -> None:
    client = session_with(answering(fail_with=httpx.ReadTimeout("no reply")), RateLimit(None))
    samples: list[Sample] = []
    started = time.monotonic()
    await poll(client, Poller("app", ("Charger_info.Get",)), time.monotonic() + 5.0, samples)
    assert time.monotonic() - started < 1.0, "the poller went on past its first unanswered request"
    assert len(samples) == 1 and samples[0].latency_s is None and "Charger_info.Get" in (samples[0].error or "")


async def test_a_refused_connection_stays_a_bench_fault() -> None:
    client = session_with(answering(fail_with=httpx.ConnectError("refused")), RateLimit(None))
    with pytest.raises(BenchFault):
        await run_load([(Poller("app", ("Charger_info.Get",)), client)], 0.2, 0.2)


# --- the virtual charger's defect -------------------------------------------------------------------------------
async def test_the_concurrency_defect_answers_two_in_flight_and_hangs_from_the_third(tmp_path: Path) -> None:
    service = BenchService([sys.executable, "-m", "simulator", "--port", "0", "--time-scale", "20", "--state-dir",
                            str(tmp_path), "--defect", "stops_answering_under_concurrency"],
                           cwd=PROJECT_ROOT, ready_timeout_s=30)
    try:
        url = service.endpoints["charger_url"]
        async with ChargerClient(url, timeout_s=0.5) as a, ChargerClient(url, timeout_s=0.5) as b, \
                ChargerClient(url, timeout_s=0.5) as c:
            for _ in range(3):  # two side by side, again and again: answered
                await asyncio.gather(a.call("Charger_info.Get"), b.call("Wifi_status.Get"))
            outcomes = await asyncio.gather(a.call("Charger_info.Get"), b.call("Wifi_status.Get"),
                                            c.call("App_config.Get"), return_exceptions=True)
            assert all(isinstance(o, BenchFault) for o in outcomes), outcomes
            with pytest.raises(BenchFault):  # deadlocked: even one request alone hangs now
                await c.call("Device_id.Get")
    finally:
        service.stop()
