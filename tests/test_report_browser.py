"""The report in a real browser: headless Chromium loads the index and a trait page with no console
errors, shows the trait's name, its audit table and its plots; sorting and filtering work.

Needs the Debian packages `chromium` and `chromium-driver` (`make install` installs them where it
can: apt-get as root) and selenium (the `dev` extra). Without them the tests skip, saying what to
install. A console error (a script error, a blocked resource, a CSP violation) fails the test.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

from report_fixtures import (
    content_hash,
    copy_fixture,
    make_hostile,
    write_evaluation,
    write_probe,
    write_steering,
    write_vetting,
)

from traitlint.config import Config
from traitlint.report.command import build_report

INSTALL = ("install Chromium and its driver (Debian: `apt-get install chromium chromium-driver`, which "
           "`make install` runs when it is root) and selenium (`pip install -e '.[dev]'`)")


def _chromium() -> str | None:
    for candidate in ("/usr/lib/chromium/chromium", shutil.which("chromium"), shutil.which("chromium-browser"),
                      shutil.which("google-chrome")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def _driver_path() -> str | None:
    for candidate in (shutil.which("chromedriver"), "/usr/lib/chromium/chromedriver"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason=f"selenium is not installed: {INSTALL}")
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = _chromium(), _driver_path()
    if binary is None or driver_path is None:
        pytest.skip(f"headless Chromium not found (chromium: {binary}, chromedriver: {driver_path}): {INSTALL}")
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(arg)
    options.binary_location = binary
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
    except Exception as exc:  # noqa: BLE001 - a driver/browser version mismatch, no display libraries, ...
        pytest.skip(f"Chromium did not start ({type(exc).__name__}: {str(exc).splitlines()[0]}): {INSTALL}")
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    data = root / "datasets"
    leak = copy_fixture("confounds/but_and_leak", data)
    copy_fixture("confounds/clean", data)
    make_hostile(leak)
    digest = content_hash(leak)
    write_vetting(leak, digest, separation=10.0)
    write_probe(leak, digest)
    write_evaluation(root / "vectors", leak, digest)
    write_steering(root / "steering", leak, digest)
    out = root / "out"
    build_report([data], out, vectors=root / "vectors", steering=root / "steering", config=Config(),
                 cache_dir=root / "cache")
    return out


def console_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def open_page(driver, path: Path) -> None:
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(path.resolve().as_uri())
    assert driver.execute_script("return document.readyState") == "complete"


def test_the_console_check_sees_a_broken_page(browser, tmp_path):
    """The assertion the report tests rely on can fail: a page with a script error is caught."""
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><title>x</title><script>undefinedFunction()</script>", encoding="utf-8")
    open_page(browser, page)
    assert any("undefinedFunction" in m for m in console_errors(browser))


def test_the_index_loads_cleanly_sorts_and_filters(browser, site, tmp_path):
    from selenium.webdriver.common.by import By

    open_page(browser, site / "index.html")
    assert console_errors(browser) == []
    assert browser.title == "traitlint report"
    rows = browser.find_elements(By.CSS_SELECTOR, "#traits tbody tr")
    assert len(rows) == 2
    first = rows[0].find_element(By.TAG_NAME, "a").text
    assert first.endswith("but_and_leak")  # worst first
    status = browser.find_element(By.ID, "status")
    status.find_element(By.CSS_SELECTOR, "option[value=passed]").click()
    visible = [r for r in browser.find_elements(By.CSS_SELECTOR, "#traits tbody tr") if r.is_displayed()]
    assert browser.find_element(By.ID, "shown").text == f"{len(visible)} of 2 folders shown"
    assert all("but_and_leak" not in r.text for r in visible)
    status.find_element(By.CSS_SELECTOR, "option[value='']").click()
    box = browser.find_element(By.ID, "filter")
    box.send_keys("TL101")  # filter by a failing audit's code
    visible = [r for r in browser.find_elements(By.CSS_SELECTOR, "#traits tbody tr") if r.is_displayed()]
    assert len(visible) == 1 and "but_and_leak" in visible[0].text
    box.clear()
    browser.execute_script("document.getElementById('filter').dispatchEvent(new Event('input'))")
    trait_head = browser.find_element(By.CSS_SELECTOR, "#traits thead th:first-child")
    trait_head.click()
    trait_head.click()  # the second click sorts descending
    names = [r.find_element(By.TAG_NAME, "a").text for r in browser.find_elements(By.CSS_SELECTOR, "#traits tbody tr")]
    assert names == sorted(names, reverse=True) and trait_head.get_attribute("aria-sort") == "descending"
    assert browser.save_screenshot(str(tmp_path / "index.png")) and (tmp_path / "index.png").stat().st_size > 10_000
    assert console_errors(browser) == []


def test_a_trait_page_shows_name_audits_and_plots(browser, site, tmp_path):
    from selenium.webdriver.common.by import By

    open_page(browser, site / "index.html")
    link = next(a for a in browser.find_elements(By.CSS_SELECTOR, "#traits tbody a") if a.text.endswith("but_and_leak"))
    link.click()
    assert browser.execute_script("return document.readyState") == "complete"
    assert console_errors(browser) == []
    assert browser.find_element(By.TAG_NAME, "h1").text == "but_and_leak"
    audit_rows = browser.find_elements(By.CSS_SELECTOR, "#audits table tbody tr")
    from traitlint import registry

    static = [a for a in registry.all_audits() if not getattr(a, "needs_model", False)]
    assert len(audit_rows) == len(static)  # one row per static audit run
    tl101 = browser.find_element(By.ID, "audit-TL101")
    assert "failed" in tl101.text and "max_share=0.8" in tl101.text
    figures = browser.find_elements(By.CSS_SELECTOR, "#plots figure svg")
    assert len(figures) >= 5
    size = figures[0].size
    assert size["width"] > 200 and size["height"] > 100  # drawn, not an empty box
    assert browser.find_elements(By.CSS_SELECTOR, "#model figure[data-plot=steering-0] svg")
    evidence = browser.find_element(By.CSS_SELECTOR, "#samples tbody tr td.text").text
    assert '<script>alert("pwned")</script>' in evidence  # shown as text, not run
    assert browser.execute_script("return window.__pwned === undefined && !document.querySelector('img[src=x]')")
    shot = tmp_path / "trait.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    artefacts = os.environ.get("TRAITLINT_SCREENSHOT_DIR")
    if artefacts:  # CI: keep the screenshots
        Path(artefacts).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(artefacts) / "report-trait.png")
    assert console_errors(browser) == []
