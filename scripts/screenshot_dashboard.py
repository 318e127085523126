"""Take the README's screenshot of the dashboard, docs/figures/dashboard.png, in a real browser.

Starts ``dyadsim dashboard`` on a free port with a scratch results folder, picks the shipped example
``more_with_supports`` on the Scenario page, compares it with usual care (500 dyads x 5 replicates,
the posterior parameter sets, as the page's default), opens the comparison on the Look page and
saves what a user sees. Needs Playwright (the test extra) and Debian's chromium (``apt-get install
chromium``) or Playwright's own.

    .venv/bin/python scripts/screenshot_dashboard.py [--out docs/figures/dashboard.png]
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from dyadsim.dashboard.serve import start_server, stop_server

ROOT = Path(__file__).resolve().parent.parent


def choose(page: Any, label: str, option: str) -> None:
    """Pick ``option`` in the select box labelled ``label`` (typed, then Enter: the keyboard's way)."""
    box = page.get_by_role("combobox", name=label)
    box.click()
    page.keyboard.type(option)
    page.keyboard.press("Enter")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "figures" / "dashboard.png")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="dyadsim-shot-") as tmp:
        proc, url = start_server(Path(tmp) / "runs")
        try:
            with sync_playwright() as p:
                exe = shutil.which("chromium")
                browser = p.chromium.launch(executable_path=exe) if exe else p.chromium.launch()
                page = browser.new_page(viewport={"width": 1400, "height": 1050})
                page.goto(url)
                page.get_by_role("heading", name="Scenario").wait_for(timeout=60_000)
                choose(page, "Example", "more_with_supports")
                page.get_by_text("more_with_supports: valid;").wait_for(timeout=30_000)
                for label, value in (("Dyads per replicate", "500"), ("Replicates (cohorts with their own seeds)", "5")):
                    box = page.get_by_role("spinbutton", name=label)
                    box.fill(value)
                    box.press("Enter")
                page.get_by_text("500 dyads x 5 replicates").wait_for(timeout=30_000)
                page.get_by_text("Run and compare", exact=True).first.click()
                page.get_by_role("button", name="Compare with the reference").click()
                page.get_by_text("done:").first.wait_for(timeout=600_000)
                page.get_by_text("Look", exact=True).first.click()
                page.locator("img[alt^='Kaplan-Meier']").wait_for(timeout=60_000)
                page.locator("img[alt^='Mechanism graph']").wait_for(timeout=60_000)
                page.get_by_role("heading", name="Time to event: Kaplan-Meier curves").scroll_into_view_if_needed()
                page.mouse.wheel(0, -420)  # the table's last rows above the curves
                page.wait_for_timeout(1500)
                args.out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.out))
                browser.close()
        finally:
            stop_server(proc)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
