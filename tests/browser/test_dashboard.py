"""The demo coach's practice in Chromium: figures with the period they cover, earnings by
month and session outcomes drawn as charts (Chart.js) with their numbers in tables, and the
latest sessions with first names only; and the coach's own library, whose files download."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from realtime.demo import COACH_EMAIL
from realtime.demo.resources import reflection_pdf
from tests.browser.conftest import OpenPage, log_in, shot


@pytest.mark.timeout(60)
def test_the_coach_sees_their_practice_in_figures_and_charts(open_page: OpenPage) -> None:
    page = open_page("coach")
    log_in(page, COACH_EMAIL, then="/coach")
    practice = page.get_by_role("region", name="Your practice")
    expect(practice.get_by_text("Completed", exact=True).first).to_be_visible()
    earnings = practice.get_by_role("table", name="Earnings by month")
    expect(earnings.locator("tbody tr").first).to_be_visible()
    outcomes = practice.get_by_role("table", name="Session outcomes")
    expect(outcomes).to_contain_text("Completed")
    charts = practice.locator("canvas[role=img]")
    expect(charts).to_have_count(2)
    # Chart.js drew on them: a canvas with pixels set is not blank.
    drawn = charts.evaluate_all(
        "cs => cs.map(c => c.getContext('2d').getImageData(0, 0, c.width, c.height).data"
        ".some(v => v !== 0))"
    )
    assert drawn == [True, True]
    recent = practice.get_by_role("table", name="Your latest sessions")
    expect(recent.locator("tbody tr").first).to_be_visible()
    assert "Demo Client" not in recent.inner_text()  # first names only
    shot(page, "coach-practice")
    practice.get_by_label("Period").select_option("12")
    longer = practice.get_by_role("table", name="Earnings by month").locator("tbody tr")
    expect(longer).not_to_have_count(0)

    # The coach's own library: a file of it downloads as it was added.
    library = page.get_by_role("region", name="Your library")
    expect(library).to_contain_text("weekly-reflection.pdf")
    with page.expect_download() as downloading:
        library.get_by_role("button", name="Download Weekly reflection worksheet").click()
    assert downloading.value.path().read_bytes() == reflection_pdf()
    assert downloading.value.suggested_filename == "weekly-reflection.pdf"
