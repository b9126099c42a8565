"""The pastoral lead's school overview in real Chromium: from the home screen, on a phone and a tablet."""
import re

import pytest
from playwright.sync_api import expect

from rrp_pwa.checkins.rules import mark_follow_up_done, record_checkin
from rrp_pwa.checkins.stations import open_station, record_station_checkin
from rrp_pwa.conversations.chats import record_quick_chat
from rrp_pwa.extensions import db
from rrp_pwa.models.checkins import CheckInFollowUp
from rrp_pwa.models.circles import Circle
from tests.conftest import make_group, make_pupil, make_school, make_staff
from tests.e2e.conftest import PHONE, TABLET, assert_accessible
from tests.e2e.test_shell import sign_in


@pytest.fixture
def school(data_app):
    brook = make_school("Brook Primary")
    lead = make_staff(brook, ("pastoral",), email="pastoral@brook.example", name="Ms Reid")
    amira, oliver = make_pupil(brook, "Amira", "Khan"), make_pupil(brook, "Oliver", "Smith")
    for where in ("Playground", "Field", "Playground"):
        record_quick_chat(brook.id, lead, [amira], "Unkind words", where)
    record_quick_chat(brook.id, lead, [oliver], "Left out", "Dining hall")
    db.session.commit()
    return {"amira": amira, "oliver": oliver, "school": brook}


@pytest.mark.parametrize("viewport, scheme", [(PHONE, "light"), (TABLET, "dark")], ids=["phone-360", "tablet-dark"])
def test_the_pastoral_lead_reads_the_overview_and_opens_a_pupil(live_server, school, page, axe, viewport, scheme):
    page.set_viewport_size(viewport)
    page.emulate_media(color_scheme=scheme)
    sign_in(page, live_server.url, "pastoral@brook.example")
    page.get_by_role("link", name=re.compile("^School overview")).click()
    expect(page.get_by_role("heading", level=1, name="School overview")).to_be_visible()
    expect(page.get_by_role("link", name="Last 4 weeks")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("definition").first).to_have_text("4")  # quick chats
    where = page.get_by_role("list", name="Where, most often first").get_by_role("listitem")
    expect(where.first).to_have_text(re.compile(r"Playground\s*2"))
    coming_back = page.get_by_role("list", name="Pupils who keep coming back")
    expect(coming_back.get_by_role("listitem")).to_have_count(1)
    expect(coming_back).to_contain_text("3 records: 3 quick chats")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    small = page.evaluate("""() => [...document.querySelectorAll('main a')]
        .map((el) => [el.textContent.trim(), el.getBoundingClientRect().height]).filter(([, h]) => h < 44)""")
    assert small == []
    assert_accessible(axe, page)

    page.get_by_role("link", name="This school year").click()
    expect(page.get_by_role("link", name="This school year")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text(re.compile(r"^This school year: 1 Sep"))).to_be_visible()
    assert_accessible(axe, page)

    coming_back = page.get_by_role("list", name="Pupils who keep coming back")
    coming_back.get_by_role("link", name="Amira Khan").click()
    expect(page.get_by_role("heading", level=1, name="Amira Khan")).to_be_visible()



def low_week(school):
    """Two Awful check-ins: Amira's at Year 5 Cedar's station (on Ms Keeper's list, not done yet), Oliver's in
    Ms Keeper's circle (done)."""
    brook, amira, oliver = school["school"], school["amira"], school["oliver"]
    keeper = make_staff(brook, ("teacher",), email="keeper@brook.example", name="Ms Keeper")
    cedar = make_group(brook, pupils=[amira, oliver], staff=[keeper])
    station = open_station(keeper, cedar, 30)
    circle = Circle(school_id=brook.id, keeper_id=keeper.id, group_id=cedar.id, join_expires_at=station.closes_at)
    db.session.add(circle)
    db.session.flush()
    record_station_checkin(station, amira.id, 1, None)
    in_circle = record_checkin(brook.id, "faces", 1, "circle", pupil=oliver, source_id=circle.id,
                               follow_up_staff=keeper)
    db.session.flush()
    mark_follow_up_done(db.session.scalar(db.select(CheckInFollowUp).where(CheckInFollowUp.checkin_id == in_circle.id)),
                        keeper)
    db.session.commit()


@pytest.mark.parametrize("viewport", [PHONE, TABLET], ids=["phone-360", "tablet"])
def test_the_pastoral_lead_goes_from_the_low_check_ins_count_to_the_pupil(live_server, school, page, axe, viewport):
    """The count of low check-ins on the overview leads to the pupils behind it - their answer, where, whose
    follow-up and whether it is done - and each pupil's name to their record."""
    low_week(school)
    page.set_viewport_size(viewport)
    sign_in(page, live_server.url, "pastoral@brook.example")
    page.get_by_role("link", name=re.compile("^School overview")).click()
    expect(page.get_by_role("heading", level=1, name="School overview")).to_be_visible()
    page.get_by_role("link", name="Low check-ins").click()

    expect(page.get_by_role("heading", level=1, name="Low check-ins")).to_be_visible()
    expect(page.get_by_role("link", name="Last 4 weeks")).to_have_attribute("aria-current", "page")
    rows = page.get_by_role("list", name="2 low check-ins").get_by_role("listitem")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Oliver Smith")
    expect(rows.nth(0)).to_contain_text("In a circle, Year 5 Cedar kept by Ms Keeper")
    expect(rows.nth(0)).to_contain_text(re.compile(r"Follow-up by Ms Keeper: done"))
    expect(rows.nth(1)).to_contain_text("Awful")
    expect(rows.nth(1)).to_contain_text("At the check-in station, Year 5 Cedar")
    expect(rows.nth(1)).to_contain_text("Follow-up by Ms Keeper: not done yet")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    small = page.evaluate("""() => [...document.querySelectorAll('main a')]
        .map((el) => [el.textContent.trim(), el.getBoundingClientRect().height]).filter(([, h]) => h < 44)""")
    assert small == []
    assert_accessible(axe, page)

    rows.nth(1).get_by_role("link", name="Amira Khan").click()
    expect(page.get_by_role("heading", level=1, name="Amira Khan")).to_be_visible()
    expect(page.get_by_text("Check-in: 😢 Awful")).to_be_visible()
    assert_accessible(axe, page)
