"""A live circle's controls tapped before the page's scripts have run: the browser sends the control's
form as a plain POST (no HX-Request), with the page's CSRF token added as it goes. Each is done and
answered with a redirect back to the screen (Post/Redirect/Get); a refusal (a stale version, a rule)
is shown on the screen, above the control's region; a POST without the token is still refused.
CSRF is on in this module, as in production."""
import re

import pytest
from sqlalchemy import select

from rrp_pwa.circles.joining import open_circle
from rrp_pwa.circles.talking_piece import give
from rrp_pwa.extensions import db
from rrp_pwa.models import Agreement
from rrp_pwa.models.circles import Circle, CircleCheckIn, Seat
from tests.conftest import PASSWORD
from tests.test_circle_routes import brook_with_a_circle, seated

NOT_DONE_WITHOUT_TOKEN = 400


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def page_token(html: str) -> str:
    """The token htmx would send (X-CSRFToken from <body hx-headers>), which static/js/early-tap.js
    adds to a form sent before htmx has run."""
    return re.search(r'X-CSRFToken": "([^"]+)"', html).group(1)


@pytest.fixture
def world(app):
    return brook_with_a_circle()


def keepers_phone(app, keeper):
    client = app.test_client()
    form = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    signed_in = client.post("/sign-in", data={"email": keeper.email, "password": PASSWORD, "csrf_token": token})
    assert signed_in.status_code == 302
    return client



def version_of(circle) -> int:
    db.session.expire_all()
    return db.session.get(Circle, circle.id).version


def tapped_early(device, page_url: str, url: str, data=None):
    """A control's form as the browser sends it before the page's scripts ran: first as a page with no
    token would (refused, nothing changed), then with the page's token."""
    token = page_token(device.get(page_url).get_data(as_text=True))
    circle_id = int(re.search(r"/circles/(\d+)", url).group(1))
    before = version_of(db.session.get(Circle, circle_id))
    assert device.post(url, data=data or {}).status_code == NOT_DONE_WITHOUT_TOKEN
    assert version_of(db.session.get(Circle, circle_id)) == before, "nothing changed without the token"
    return device.post(url, data={**(data or {}), "csrf_token": token})


def holder_name(circle) -> str | None:
    db.session.expire_all()
    fresh = db.session.get(Circle, circle.id)
    holder = db.session.get(Seat, fresh.holder_seat_id) if fresh.holder_seat_id else None
    return holder.name if holder else None


def test_every_live_control_is_also_a_plain_form_post_to_the_same_url(app, world):
    circle = world["circle"]
    keeper = keepers_phone(app, world["keeper"])
    amira, _ = seated(app, circle, world["pupils"][0])
    seated(app, circle, world["pupils"][1])
    seated(app, circle, world["pupils"][2], admit=False)
    token = page_token(keeper.get(f"/circles/{circle.id}").get_data(as_text=True))
    keeper.post(f"/circles/{circle.id}/rounds", data={"round_kind": "checkin", "typed": "How are you?", "csrf_token": token})
    keeper.post(f"/circles/{circle.id}/agreements", data={"kind": "value", "what": "We listen", "csrf_token": token})
    keeper.post(f"/circles/{circle.id}/turn", data={"turn": "pass", "version": version_of(circle)},
                headers={"HX-Request": "true", "X-CSRFToken": token})
    screens = {"keeper": keeper.get(f"/circles/{circle.id}").get_data(as_text=True),
               "seat": amira.get(f"/circles/{circle.id}/seat").get_data(as_text=True)}
    assert "I agree" in screens["seat"] and "I've finished" in screens["seat"] and "Awful" in screens["seat"]
    for screen, html in screens.items():
        posts = re.findall(r"<(\w+)([^>]*)\shx-post=\"([^\"]+)\"", html)
        assert len(posts) >= (9 if screen == "keeper" else 4), screen
        for tag, before, url in posts:
            assert tag == "form" and 'method="post"' in before and f'action="{url}"' in before, (screen, url)
        assert re.search(r"<script[^>]*early-tap.js[^>]*async", html) and not re.search(r"<script[^>]*early-tap.js[^>]*defer", html)


def test_the_keepers_first_pass_tapped_early_passes_the_piece(app, world):
    circle = world["circle"]
    keeper = keepers_phone(app, world["keeper"])
    seated(app, circle, world["pupils"][0])
    answer = tapped_early(keeper, f"/circles/{circle.id}", f"/circles/{circle.id}/turn",
                          {"turn": "pass", "version": version_of(circle)})
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/circles/{circle.id}#ring-h")
    assert holder_name(circle) == "Amira S."
    page = keeper.get(answer.headers["Location"]).get_data(as_text=True)
    assert "<strong>Amira S.</strong> has the talking piece" in page


KEEPER_CONTROLS = {
    # name: (url after /circles/<id>/, form data, what the keeper then sees changed)
    "give": ("give/{amira}", {}, lambda c, s: holder_name(c) == "Amira S."),
    "take back": ("take-back", {"version": "{version}"}, lambda c, s: holder_name(c) == "Ms Keeper"),
    "reverse": ("reverse", {"version": "{version}"}, lambda c, s: db.session.get(Circle, c.id).direction == -1),
    "move": ("seats/{ben}/move", {"step": "up", "version": "{version}"},
             lambda c, s: db.session.get(Seat, s["ben"]).position < db.session.get(Seat, s["amira"]).position),
    "remove": ("seats/{ben}/remove", {}, lambda c, s: db.session.get(Seat, s["ben"]).status == "removed"),
    "let in": ("seats/{cara}/admit", {}, lambda c, s: db.session.get(Seat, s["cara"]).status == "admitted"),
    "not now": ("seats/{cara}/not-now", {}, lambda c, s: db.session.get(Seat, s["cara"]).status == "removed"),
    "let everyone in": ("auto-admit", {"on": "1"}, lambda c, s: db.session.get(Circle, c.id).auto_admit),
}


@pytest.mark.parametrize("control", KEEPER_CONTROLS)
def test_each_keeper_control_tapped_early_is_done_and_comes_back_to_its_section(app, world, control):
    circle = world["circle"]
    keeper = keepers_phone(app, world["keeper"])
    seats = {name: seated(app, circle, pupil, admit=name != "cara")[1].id
             for name, pupil in zip(("amira", "ben", "cara"), world["pupils"])}
    if control == "take back":
        give(db.session.get(Circle, circle.id), db.session.get(Seat, seats["amira"]), None)
        db.session.commit()
    path, data, changed = KEEPER_CONTROLS[control]
    fill = {**seats, "version": version_of(circle)}
    answer = tapped_early(keeper, f"/circles/{circle.id}", f"/circles/{circle.id}/" + path.format(**fill),
                          {k: v.format(**fill) for k, v in data.items()})
    assert answer.status_code == 302
    section = "waiting-h" if control in ("let in", "not now", "let everyone in") else "ring-h"
    assert answer.headers["Location"].endswith(f"/circles/{circle.id}#{section}")
    db.session.expire_all()
    assert changed(circle, seats)
    assert keeper.get(answer.headers["Location"]).status_code == 200


def test_a_one_device_check_in_tapped_early_is_saved_for_the_holder(app, world):
    circle = open_circle(world["keeper"], "checkin", world["group"], one_device=True)
    db.session.commit()
    keeper = keepers_phone(app, world["keeper"])
    token = page_token(keeper.get(f"/circles/{circle.id}").get_data(as_text=True))
    keeper.post(f"/circles/{circle.id}/rounds", data={"round_kind": "checkin", "typed": "How are you?", "csrf_token": token})
    keeper.post(f"/circles/{circle.id}/turn", data={"turn": "pass", "version": version_of(circle), "csrf_token": token})
    answer = tapped_early(keeper, f"/circles/{circle.id}", f"/circles/{circle.id}/checkin",
                          {"value": "4", "round_no": "1"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("#ring-h")
    saved = db.session.scalars(select(CircleCheckIn)).all()
    assert len(saved) == 1 and db.session.get(Seat, saved[0].seat_id).name == "Amira S."


def test_a_pupils_pass_tapped_early_passes_the_piece_on(app, world):
    circle = world["circle"]
    keeper = keepers_phone(app, world["keeper"])
    amira, _ = seated(app, circle, world["pupils"][0])
    seated(app, circle, world["pupils"][1])
    tapped_early(keeper, f"/circles/{circle.id}", f"/circles/{circle.id}/turn", {"turn": "pass", "version": version_of(circle)})
    answer = tapped_early(amira, f"/circles/{circle.id}/seat", f"/circles/{circle.id}/seat/turn",
                          {"turn": "pass", "version": version_of(circle)})
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/circles/{circle.id}/seat#p-piece")
    assert holder_name(circle) == "Ben S."
    assert "Ben S. has the talking piece" in amira.get(answer.headers["Location"]).get_data(as_text=True)


def test_a_pupils_check_in_and_i_agree_tapped_early_are_saved(app, world):
    circle = world["circle"]
    keeper = keepers_phone(app, world["keeper"])
    amira, amiras_seat = seated(app, circle, world["pupils"][0])
    token = page_token(keeper.get(f"/circles/{circle.id}").get_data(as_text=True))
    keeper.post(f"/circles/{circle.id}/rounds", data={"round_kind": "checkin", "typed": "How are you?", "csrf_token": token})
    keeper.post(f"/circles/{circle.id}/agreements", data={"kind": "value", "what": "We listen", "csrf_token": token})
    checked_in = tapped_early(amira, f"/circles/{circle.id}/seat", f"/circles/{circle.id}/seat/checkin",
                              {"value": "4", "word": "sunny", "round_no": "1"})
    assert checked_in.status_code == 302 and checked_in.headers["Location"].endswith("/seat#p-round")
    assert "Thank you for checking in" in amira.get(checked_in.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(CircleCheckIn.seat_id)) == amiras_seat.id
    agreement = db.session.scalar(select(Agreement).where(Agreement.what == "We listen"))
    agreed = tapped_early(amira, f"/circles/{circle.id}/seat", f"/circles/{circle.id}/seat/agree/{agreement.id}")
    assert agreed.status_code == 302 and agreed.headers["Location"].endswith("/seat#p-agreements")
    assert "1 of 1 agreed" in amira.get(agreed.headers["Location"]).get_data(as_text=True)


def test_a_stale_tap_sent_early_is_not_done_and_the_screen_says_so_once(app, world):
    circle = world["circle"]
    keeper = keepers_phone(app, world["keeper"])
    seated(app, circle, world["pupils"][0])
    seen = version_of(circle)
    tapped_early(keeper, f"/circles/{circle.id}", f"/circles/{circle.id}/reverse", {"version": seen})
    answer = tapped_early(keeper, f"/circles/{circle.id}", f"/circles/{circle.id}/turn", {"turn": "pass", "version": seen})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("#ring-h")
    assert holder_name(circle) == "Ms Keeper", "not passed"
    page = keeper.get(answer.headers["Location"]).get_data(as_text=True)
    piece = re.search(r'<div id="k-piece"[^>]*>(.*?)<div id="k-seats"', page, re.S).group(1)
    assert '<p class="error circle-refusal" role="alert">Someone else changed the circle a moment ago.' in piece
    assert "circle-refusal" not in keeper.get(f"/circles/{circle.id}").get_data(as_text=True), "shown once"


def test_a_pupils_tap_refused_by_a_rule_says_why_on_their_screen(app, world):
    circle = world["circle"]
    seated(app, circle, world["pupils"][0])
    ben, _ = seated(app, circle, world["pupils"][1])
    answer = tapped_early(ben, f"/circles/{circle.id}/seat", f"/circles/{circle.id}/seat/turn",
                          {"turn": "pass", "version": version_of(circle)})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/seat#p-piece")
    assert holder_name(circle) == "Ms Keeper"
    page = ben.get(answer.headers["Location"]).get_data(as_text=True)
    assert re.search(r'<section id="p-piece"[^>]*><p class="error circle-refusal" role="alert">'
                     r"The talking piece has moved on", page)


def test_a_tap_sent_early_on_a_circle_closed_meanwhile_goes_to_its_summary(app, world):
    circle = world["circle"]
    keeper = keepers_phone(app, world["keeper"])
    token = page_token(keeper.get(f"/circles/{circle.id}").get_data(as_text=True))
    assert keeper.post(f"/circles/{circle.id}/close", data={"csrf_token": token}).status_code == 302
    answer = keeper.post(f"/circles/{circle.id}/reverse", data={"version": version_of(circle), "csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/circles/{circle.id}/summary")
    summary = keeper.get(answer.headers["Location"]).get_data(as_text=True)
    assert "This circle has closed, so that was not done." in summary
