"""The built HTML report, opened from file:// in headless Chromium (selenium), shows what people act on.

A small real run on the virtual bench (time scale 20) with the catalogued defect
``slow_contactor_close_3_2s`` (the contactor closes 3.2 s after state C; IEC 61851-1's limit is 3 s,
reference/standards.md): the contactor-timing test fails with a product verdict, an RPC exchange and a
measurement against its limit; a few RCD trip tests and configuration tests pass, one of them under a
labelled spec ambiguity.  ``python -m reports.build`` turns it into the single-file report, with a
history file of its own (never the project's trend).  The browser must then show, from the file system:

* the overview: the categories (product defect, spec ambiguity) and the coverage pages (spec coverage,
  verification summary) as global attachments;
* the failing test: its RPC exchange and its "Measurements" table with value, limit and margin.

Screenshots go to ``reports/out/screenshots/`` (CI keeps them as artifacts).  Without Chromium the
tests skip with the reason, unless ``LEKTRICO_REQUIRE_BROWSER`` is set (CI sets it): then they fail.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = PROJECT_ROOT / "reports" / "out" / "screenshots"
REQUIRE_ENV = "LEKTRICO_REQUIRE_BROWSER"
CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
DEFECT = "slow_contactor_close_3_2s"
FAILING = "test_contactor_closes_within_limit_after_c"
SELECTION = ("suites/bench/test_states.py::test_contactor_closes_within_limit_after_c",
             "suites/bench/test_rcd.py::test_rcd_trip_time_while_charging",
             "suites/api/test_app_config_keys.py")
KEYWORDS = "contactor or dc_6ma or ac_1x or (install_current and (string or bound))"
UI_TIMEOUT_S = 15.0


def _browser_binaries() -> tuple[str | None, str | None]:
    chromium = next((found for name in CHROMIUM if (found := shutil.which(name))), None)
    return chromium, shutil.which("chromedriver")


@pytest.fixture(scope="module")
def chromium_paths() -> tuple[str, str]:
    chromium, driver = _browser_binaries()
    if chromium and driver:
        return chromium, driver
    missing = " and ".join(name for name, path in (("chromium", chromium), ("chromedriver", driver)) if not path)
    reason = f"{missing} not installed (apt-get install chromium chromium-driver)"
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(f"{REQUIRE_ENV} is set but {reason}", pytrace=False)
    pytest.skip(f"browser test: {reason}; set {REQUIRE_ENV}=1 to make this a failure")


@pytest.fixture(scope="module")
def report(chromium_paths: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The single-file report of a small real run with one catalogued defect."""
    work = tmp_path_factory.mktemp("report-browser")
    results, html = work / "allure-results", work / "html"
    run = subprocess.run([sys.executable, "-m", "pytest", *SELECTION, "-k", KEYWORDS, "--defect", DEFECT,
                          "--time-scale", "20", f"--alluredir={results}", "-q", "-p", "no:cacheprovider",
                          "--journal", str(work / "journal.json")],
                         cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=180)
    assert run.returncode == 1, f"the defect's run should end with a product failure (1):\n{run.stdout[-3000:]}{run.stderr[-2000:]}"
    built = subprocess.run([sys.executable, "-m", "reports.build", str(results), str(html),
                            "--history", str(work / "history.jsonl")],
                           cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr[-2000:]
    assert [p.name for p in html.iterdir() if p.suffix in (".js", ".css")] == [], "not a single-file report"
    return html / "index.html"


@pytest.fixture(scope="module")
def browser(chromium_paths: tuple[str, str]) -> Iterator[Any]:
    from selenium import webdriver  # noqa: PLC0415 - only when a browser is there
    from selenium.webdriver.chrome.options import Options  # noqa: PLC0415
    from selenium.webdriver.chrome.service import Service  # noqa: PLC0415

    options = Options()
    options.binary_location = chromium_paths[0]
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1200"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(chromium_paths[1]), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(what: str, found: Callable[[], Any], last_seen: Callable[[], str]) -> Any:
    """Poll ``found`` until it gives something truthy; on timeout say what was awaited and last seen."""
    deadline = time.monotonic() + UI_TIMEOUT_S
    while True:
        try:
            value = found()
        except Exception as error:  # noqa: BLE001 - an element not there yet, or gone stale while rendering
            value, seen = None, f"{type(error).__name__}: {error}".splitlines()[0]
        else:
            seen = ""
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {UI_TIMEOUT_S:.0f} s; last seen: {seen or last_seen()[-600:]}")
        time.sleep(0.1)


def _by_testid(driver: Any, testid: str) -> list[Any]:
    from selenium.webdriver.common.by import By  # noqa: PLC0415

    return driver.find_elements(By.CSS_SELECTOR, f'[data-testid="{testid}"]')


def _body(driver: Any) -> str:
    from selenium.webdriver.common.by import By  # noqa: PLC0415

    return driver.find_element(By.TAG_NAME, "body").text


def _open_tab(driver: Any, testid: str) -> None:
    tab = wait_for(f"tab {testid}", lambda: _by_testid(driver, testid), lambda: _body(driver))[0]
    tab.click()


def _shot(driver: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    driver.save_screenshot(str(path))
    return path


def _expand_attachment(driver: Any, name: str) -> Any:
    """Open the attachment called ``name`` (its header) and return the attachment element."""
    attachments = wait_for(f"attachment {name!r}", lambda: [a for a in _by_testid(driver, "test-result-attachment")
                                                           if name in a.text], lambda: _body(driver))
    attachment = attachments[0]
    header = _by_testid(attachment, "test-result-attachment-header")[0]
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", header)
    header.find_element("css selector", "button").click()
    return attachment


def _attachment_text(driver: Any, attachment: Any) -> str:
    """What an opened attachment holds: its own text, and the whole text of the frame its preview renders
    in (``textContent``: the frame is shorter than its table, and ``.text`` gives only what is visible)."""
    from selenium.webdriver.common.by import By  # noqa: PLC0415

    texts = [attachment.text]
    for frame in attachment.find_elements(By.TAG_NAME, "iframe"):
        driver.switch_to.frame(frame)
        try:
            texts.append(driver.execute_script("return document.body ? document.body.innerText || "
                                               "document.body.textContent : ''"))
        finally:
            driver.switch_to.default_content()
    return "\n".join(texts)


def _fit_frames(driver: Any, attachment: Any) -> None:
    """Make each preview frame of the attachment as tall as its content, so the screenshot shows it all."""
    from selenium.webdriver.common.by import By  # noqa: PLC0415

    for frame in attachment.find_elements(By.TAG_NAME, "iframe"):
        driver.switch_to.frame(frame)
        try:
            height = driver.execute_script("return document.documentElement.scrollHeight")
        finally:
            driver.switch_to.default_content()
        driver.execute_script("arguments[0].style.height = arguments[1] + 'px'", frame, min(int(height) + 20, 4000))


@dataclass(frozen=True)
class GlobalPage:
    """A run-level page of the overview: what marks it loaded, what it must show, its screenshot."""

    name: str
    awaited: str
    ready: str
    shows: tuple[str, ...]
    screenshot: str


GLOBAL_PAGES = (
    GlobalPage("Verification summary", "the verification summary's table", "FAILED", ("states", "rcd"),
               "03-verification-summary.png"),
    GlobalPage("Spec coverage", "the spec-coverage matrix", "methods covered:", ("App_config.Set",),
               "04-spec-coverage.png"),
    GlobalPage("Spec ambiguities met", "the ambiguity table", "config_value_type", ("reading chosen",),
               "05-spec-ambiguities.png"),
)


def test_overview_shows_the_categories_and_the_coverage(report: Path, browser: Any) -> None:
    browser.get(report.as_uri())
    wait_for("report title", lambda: "Lektri.co 1P7K conformance" in _body(browser), lambda: _body(browser))
    _shot(browser, "01-overview.png")
    _open_tab(browser, "nav-tab-categories")
    categories = wait_for("categories", lambda: "Product defect" in _body(browser) and _body(browser),
                          lambda: _body(browser))
    assert "Spec ambiguity" in categories, categories[-1500:]
    assert "3.2 s outside" in categories, "the product defect's message (value against its limit)"
    _shot(browser, "02-categories.png")
    _open_tab(browser, "nav-tab-globalAttachments")
    pages = wait_for("global attachments", lambda: "Verification summary" in _body(browser) and _body(browser),
                     lambda: _body(browser))
    assert "Spec coverage" in pages and "Spec ambiguities met" in pages, pages[-1500:]
    for page in GLOBAL_PAGES:
        attachment = _expand_attachment(browser, page.name)
        text = wait_for(page.awaited, lambda: page.ready in (t := _attachment_text(browser, attachment)) and t,
                        lambda: _attachment_text(browser, attachment))
        assert all(word in text for word in page.shows), (page.name, page.shows, text[:1500])
        _fit_frames(browser, attachment)
        browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", attachment)
        _shot(browser, page.screenshot)


def test_failing_test_shows_its_rpc_exchange_and_its_measurement_against_the_limit(report: Path, browser: Any) -> None:
    from selenium.webdriver.common.by import By  # noqa: PLC0415

    browser.get(report.as_uri())
    _open_tab(browser, "nav-tab-results")
    failed = wait_for("a failed test in the tree", lambda: _by_testid(browser, "tree-leaf-status-failed"),
                      lambda: _body(browser))
    failed[0].click()
    page = wait_for("the failing test's page", lambda: FAILING in _body(browser) and _body(browser),
                    lambda: _body(browser))
    assert "IEC 61851-1 contactor timing" in page, "the title starts with its spec section"
    assert "Category: Product defect" in page, page[:1500]
    exchange = _expand_attachment(browser, "RPC Charger_info.Get")
    json_text = wait_for("the RPC exchange's JSON", lambda: '"reply_body"' in exchange.text and exchange.text,
                         lambda: exchange.text)
    assert '"method": "Charger_info.Get"' in json_text and '"status": 200' in json_text
    _shot(browser, "06-failing-test-rpc-exchange.png")
    table_attachment = _expand_attachment(browser, "Measurements")
    frame = wait_for("the Measurements table's frame",
                     lambda: table_attachment.find_elements(By.TAG_NAME, "iframe"), lambda: table_attachment.text)[0]
    _fit_frames(browser, table_attachment)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", frame)
    _shot(browser, "07-failing-test-measurements.png")
    browser.switch_to.frame(frame)
    try:
        rows = wait_for("a FAIL row in the table", lambda: [row for row in browser.find_elements(By.CSS_SELECTOR, "#measurements tbody tr")
                                                           if "FAIL" in row.text], lambda: _body(browser))
        header = [cell.text for cell in browser.find_elements(By.CSS_SELECTOR, "#measurements thead th")]
        cells = [cell.text for cell in rows[0].find_elements(By.TAG_NAME, "td")]
    finally:
        browser.switch_to.default_content()
    assert header == ["measurement", "value", "unit", "limits", "margin", "verdict", "origin"], header
    row = dict(zip(header, cells))
    assert row["measurement"].startswith("contactor_close_delay_B2_to_C2"), row
    assert float(row["value"].split(" ")[0]) > 3.0 and row["unit"] == "s", row
    assert row["limits"] == "≤ 3", row
    assert float(row["margin"]) < 0, row
    assert "IEC 61851-1" in row["origin"], row
