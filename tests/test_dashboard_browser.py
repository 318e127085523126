"""The dashboard end to end in a real browser (Playwright driving Debian's chromium, or Playwright's own
chromium where that is installed): ``dyadsim dashboard`` is started on a free port, a small scenario is
set up by typing into the form, run with the keyboard, and its table and figures (with alt text) are on
the page; a click answers within a second while the run goes on.

Skipped, saying so, only where no browser can be started (``.ci/run`` installs Debian's chromium where it
can: ``apt-get install chromium``).
"""
from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")

from dyadsim.dashboard import form  # noqa: E402
from dyadsim.dashboard.serve import start_server, stop_server  # noqa: E402

ANSWER_S = 1.0
"""A click must be answered within this many seconds while a run is going (issue 24)."""
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FOCUSED = ("(() => { const e = document.activeElement; return e.getAttribute('aria-label') || "
           "(e.labels && e.labels[0] && e.labels[0].innerText) || e.tagName })()")
"""The accessible name of the element that has the keyboard focus."""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium (or another on the PATH), else Playwright's own; skipped if none starts."""
    with sync_api.sync_playwright() as p:
        tried = []
        for exe in dict.fromkeys([shutil.which(b) for b in BROWSERS if shutil.which(b)] + [None]):
            try:
                b = p.chromium.launch(executable_path=exe) if exe else p.chromium.launch()
            except Exception as exc:  # not installed, or cannot start here
                tried.append(f"{exe or 'playwright chromium'}: {str(exc).strip().splitlines()[0]}")
                continue
            yield b
            b.close()
            return
        pytest.skip("no browser could be started (install Debian's chromium: apt-get install chromium; or "
                    "'playwright install chromium'): " + "; ".join(tried))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    runs = tmp_path_factory.mktemp("browser") / "runs"
    proc, url = start_server(runs)
    yield url, runs
    stop_server(proc)


def test_a_small_scenario_runs_in_the_browser(browser: Any, server: tuple[str, Path]) -> None:
    url, runs = server
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.get_by_role("heading", name="Scenario").wait_for(timeout=60_000)
    for label, value in (("Dyads per replicate", "500"), ("Replicates (cohorts with their own seeds)", "2")):
        box = page.get_by_role("spinbutton", name=label)
        box.fill(value)
        box.press("Enter")
    page.get_by_text("usual_care: valid; 500 dyads x 2 replicates").wait_for(timeout=15_000)
    # A refused value is said on the page, with the field (the command line's message).
    box = page.get_by_role("spinbutton", name="Follow-up after birth (months)")
    box.fill("40")
    box.press("Enter")
    page.get_by_text("scenario form: field 'cohort.horizon_months'").wait_for(timeout=15_000)
    box.fill("12")
    box.press("Enter")
    page.get_by_text("usual_care: valid;").wait_for(timeout=15_000)
    # Every input of the form is reached with the Tab key alone.
    wanted = {f.label for f in form.FIELDS if not f.key.startswith("dose.")} | {"Group programme", "Parameter sets",
                                                                                "Scenario name", "Example"}
    reached: set[str] = set()
    for _ in range(150):  # about two tab stops per input (its help button and itself), and the headings
        page.keyboard.press("Tab")
        reached.add(page.evaluate(FOCUSED))
        if wanted <= reached:
            break
    assert wanted <= reached, wanted - reached
    page.get_by_text("Run and compare", exact=True).first.click()
    run = page.get_by_role("button", name="Run the scenario")
    run.wait_for(timeout=15_000)
    run.focus()
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Cancel the run").wait_for(timeout=15_000)
    start = time.perf_counter()
    page.get_by_text("Open", exact=True).first.click()
    page.get_by_role("heading", name="Open").wait_for(timeout=15_000)
    answered = time.perf_counter() - start
    still_running = page.get_by_role("button", name="Cancel the run").count() == 1
    page.get_by_text("done:").first.wait_for(timeout=120_000)
    print(f"a click answered in {answered:.2f} s while the run went on")
    assert still_running and answered < ANSWER_S, f"the page took {answered:.2f} s while a run was going"
    page.get_by_text("Look", exact=True).first.click()
    monthly = page.locator("img[alt^='Monthly trajectories after birth']")
    monthly.wait_for(timeout=30_000)
    page.locator("img[alt^='Mechanism graph']").wait_for(timeout=30_000)
    table = page.locator("[data-testid=stDataFrame]").first
    table.wait_for(timeout=15_000)
    assert table.is_visible()
    page.get_by_text("Summary outcomes (mean with parameter + Monte Carlo 95% intervals)").wait_for()
    sizes = page.evaluate("Array.from(document.images).filter(i => i.alt).map(i => i.naturalWidth)")
    assert len(sizes) >= 5 and min(sizes) > 100, sizes  # drawn figures, each with its alt text
    assert len(list(runs.glob("*/manifest.json"))) == 1
    page.close()
