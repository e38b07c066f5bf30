"""A new coach applies with credentials and a licence document in the UI; an admin downloads
the document, names the public register for the licence (then linked beside it) and approves
the application (with a confirming click) in the UI; the coach then appears in the
directory."""

from __future__ import annotations

from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Page, expect

from realtime.demo import ADMIN_EMAIL
from tests.browser.conftest import PHONE, OpenPage, log_in, shot
from tests.support import files

NAME = "Dr Hana Sato"


def directory_in_japanese(page: Page) -> None:
    """No demo coach offers sessions in Japanese: the filter shows only the new coach."""
    page.goto("/?language=ja")
    expect(page.get_by_role("status").filter(has_text="coach")).to_be_visible()


@pytest.mark.timeout(90)
def test_coach_applies_admin_approves_and_the_coach_is_listed(
    open_page: OpenPage, tmp_path: Path
) -> None:
    coach = open_page("coach")
    coach.goto("/register?role=coach")
    coach.get_by_label("Your name").fill(NAME)
    coach.get_by_label("Email").fill("hana.sato@example.com")
    coach.get_by_label("Password").fill("a-long-enough-password")
    expect(coach.get_by_label("I want to")).to_have_value("coach")
    coach.get_by_role("button", name="Create account").click()
    coach.wait_for_url("**/coach")

    apply = coach.locator("form.apply")
    apply.get_by_label("About you").fill("I help couples talk about hard things.")
    apply.get_by_label("Years of experience").fill("9")
    apply.get_by_label("Japanese", exact=True).check()
    apply.get_by_label("English", exact=True).check()
    apply.get_by_label("Couples therapy", exact=True).check()
    apply.get_by_label("Video sessions").check()
    apply.get_by_label("Video rate per hour").fill("120")
    apply.get_by_label("Licence or certification").first.fill("LMFT")
    apply.get_by_label("Number").first.fill("LMFT-88231")
    apply.get_by_label("Country (2 letters)").first.fill("US")
    apply.get_by_label("Region (optional)").first.fill("US-CA")
    apply.get_by_label("Valid until").first.fill("2031-06-30")
    for n, (name, email) in enumerate(
        [("Mia Park", "mia@clinic.example"), ("Leo Grant", "leo@clinic.example")]
    ):
        reference = apply.locator("fieldset.reference").nth(n)
        reference.get_by_label("Name").fill(name)
        reference.get_by_label("Email").fill(email)
        reference.get_by_label("How they know your work").fill("Clinical supervisor")
    licence = tmp_path / "lmft-licence.pdf"
    licence.write_bytes(files.PDF)
    apply.get_by_label("Licence or certificate documents").set_input_files(licence)
    apply.get_by_label("I accept the professional agreement", exact=False).check()
    shot(coach, "coach-apply")
    apply.get_by_role("button", name="Submit application").click()
    expect(coach.get_by_text("Your application is waiting for review")).to_be_visible()
    documents = coach.get_by_role("region", name="Credential documents")
    expect(documents).to_contain_text("lmft-licence.pdf")

    visitor = open_page("visitor", viewport=PHONE)
    directory_in_japanese(visitor)
    expect(visitor.get_by_role("link", name=NAME)).to_have_count(0)

    admin = open_page("admin")
    log_in(admin, ADMIN_EMAIL, then="/admin")
    card = admin.locator("li.application", has_text=NAME)
    expect(card).to_contain_text("LMFT no. LMFT-88231")
    expect(card).to_contain_text("Mia Park (Clinical supervisor)")
    expect(card).to_contain_text("lmft-licence.pdf (application/pdf")
    with admin.expect_download() as downloading:
        card.get_by_role("button", name="Download lmft-licence.pdf").click()
    saved = downloading.value.path()
    assert saved.read_bytes() == files.PDF  # the file as uploaded, opened for the admin only
    # No register is known for a California LMFT yet: the admin names it once, and the
    # credential links to it (as every later one of the kind will).
    card.get_by_text("No register known for LMFT in US-CA, US: add one").click()
    card.get_by_label("Register's name").fill("Board of Behavioral Sciences")
    card.get_by_label("Its public search page (https)").fill("https://search.dca.ca.gov/")
    card.get_by_role("button", name="Save register").click()
    register = card.get_by_role("link", name="Check in Board of Behavioral Sciences")
    expect(register).to_have_attribute("href", "https://search.dca.ca.gov/")
    shot(admin, "admin-applications")
    card.get_by_role("button", name="Approve").click()  # then a confirming click
    expect(card.get_by_role("status")).to_contain_text("Click again to confirm")
    card.get_by_role("button", name="Confirm approval").click()
    expect(card.get_by_role("status")).to_contain_text("now verified and listed")

    commission = admin.locator("section", has=admin.get_by_role("heading", name="Commission tiers"))
    commission.get_by_label("Coach").select_option(label=NAME)
    commission.get_by_label("Commission tier").select_option("1500")
    commission.get_by_role("button", name="Set commission").click()
    expect(commission.get_by_role("status")).to_contain_text(f"{NAME} now pays 15% commission")

    directory_in_japanese(visitor)
    expect(visitor.get_by_role("link", name=NAME)).to_be_visible()
    shot(visitor, "directory-phone")
    coach.reload()
    expect(coach.get_by_text("You are verified and listed")).to_be_visible()
    expect(coach.get_by_text("Commission: 15%")).to_be_visible()

    coach.get_by_label("Open on Friday").uncheck()
    coach.get_by_role("button", name="Save weekly hours").click()
    expect(coach.get_by_text("Weekly hours saved.")).to_be_visible()
    coach.get_by_label("From (UTC)").fill("2031-01-05T09:00")
    coach.get_by_label("Until (UTC)").fill("2031-01-09T17:00")
    coach.get_by_label("Note (only you see it)").fill("Conference")
    coach.get_by_role("button", name="Add time off").click()
    time_off = coach.locator("ul.time-off li", has_text="(Conference)")
    expect(time_off).to_contain_text("2031-01-05 09:00")
    expect(time_off).to_contain_text("2031-01-09 17:00")
    expect(coach.get_by_role("heading", name="Profile and rates")).to_be_visible()
    shot(coach, "coach-dashboard")

    # Two-factor login (required of coaches in production; optional here).
    coach.goto("/two-factor?next=/coach")
    secret = coach.locator("code.secret").inner_text()
    coach.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    coach.get_by_role("button", name="Turn on").click()
    expect(coach.get_by_role("heading", name="Two-factor login is on")).to_be_visible()
    expect(coach.locator("ul.recovery li")).to_have_count(10)
    coach.get_by_role("button", name="I have saved them").click()
    coach.wait_for_url("**/coach")
