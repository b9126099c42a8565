"""The pastoral lead's school overview in real Chromium: from the home screen, on a phone and a tablet."""
import re

import pytest
from playwright.sync_api import expect

from rrp_pwa.conversations.chats import record_quick_chat
from rrp_pwa.extensions import db
from tests.conftest import make_pupil, make_school, make_staff
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
    return {"amira": amira}


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
