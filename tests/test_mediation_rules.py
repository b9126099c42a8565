"""Unit tests of the peer mediation rules: steps, agreements, alerts, duty, review, sign-in, badges."""
import re
from datetime import date, datetime, timedelta, timezone

import pytest
import qrcode
from qrcode.image.svg import SvgPathImage
from sqlalchemy import select

from rrp_pwa.extensions import db
from rrp_pwa import qr as badges
from rrp_pwa.mediation import accounts, alerts, flow, review
from rrp_pwa.models import Agreement, Concern
from rrp_pwa.models.mediation import Mediation
from rrp_pwa.records.timeline import timeline_for
from rrp_pwa.throttle import MemoryThrottle
from tests.conftest import make_group, make_pupil, make_school, make_staff


@pytest.fixture
def school(app):
    return make_school()


@pytest.fixture
def people(school):
    """Two mediators and two pupils in a disagreement."""
    ava = make_pupil(school, "Ava", "Brown", peer_mediator=True)
    leo = make_pupil(school, "Leo", "Cole", peer_mediator=True)
    amira = make_pupil(school, "Amira", "Khan")
    ben = make_pupil(school, "Ben", "Jones")
    db.session.commit()
    return ava, leo, amira, ben


def started(school, people) -> Mediation:
    ava, leo, amira, ben = people
    mediation = flow.start_mediation(school.id, [ava, leo], "Library")
    db.session.add(mediation)
    flow.add_party(mediation, amira)
    flow.add_party(mediation, ben)
    db.session.flush()
    return mediation


def walk_to(mediation: Mediation, step: str) -> None:
    while mediation.step != step:
        if mediation.step == "rules":
            for party in mediation.parties:
                flow.agree_rules(mediation, party.id)
        flow.next_step(mediation)


def test_a_mediation_walks_every_step_and_makes_an_agreement_each(school, people):
    mediation = started(school, people)
    walk_to(mediation, "stories")
    first, second = mediation.parties
    flow.note_stories(mediation, {first.id: "ball, name-calling", second.id: ""})
    flow.next_step(mediation)
    flow.record_feelings(mediation, {first.id: "angry", second.id: "sad"})
    flow.next_step(mediation)
    flow.note_ideas(mediation, "Take turns with the ball")
    flow.next_step(mediation)
    flow.write_agreements(mediation, {first.id: "Share the ball at lunch", second.id: "Use kind words"})
    db.session.flush()
    with pytest.raises(flow.MediationError, match="I agree"):
        flow.next_step(mediation)
    flow.party_agrees(mediation, first.id)
    flow.party_agrees(mediation, second.id)
    flow.next_step(mediation)
    db.session.commit()
    assert mediation.is_complete and mediation.outcome == "agreed" and mediation.step == "done"
    made = db.session.scalars(select(Agreement).where(Agreement.source_kind == "mediation")).all()
    assert sorted(a.what for a in made) == ["Share the ball at lunch", "Use kind words"]
    assert all(a.source_id == mediation.id and a.parties[0].agreed_at for a in made)
    assert first.story_words == "ball, name-calling" and second.story_words is None
    assert first.feeling == "angry"


def test_people_rules(school, people):
    ava, leo, amira, ben = people
    mediation = flow.start_mediation(school.id, [ava], None)
    db.session.add(mediation)
    with pytest.raises(flow.MediationError, match="mediator can't"):
        flow.add_party(mediation, ava)
    other = make_pupil(make_school("Hill Academy"), "Zed", "Ward")
    with pytest.raises(flow.MediationError, match="this school"):
        flow.add_party(mediation, other)
    flow.add_party(mediation, amira)
    with pytest.raises(flow.MediationError, match="already"):
        flow.add_party(mediation, amira)
    with pytest.raises(flow.MediationError, match="two people"):
        flow.next_step(mediation)
    flow.add_party(mediation, ben)
    with pytest.raises(flow.MediationError, match="two people"):
        flow.add_party(mediation, leo)


def test_a_mediation_names_its_pupils_so_that_they_can_be_told_apart(school, people):
    """Pupils with the same short name are told apart wherever the mediation names them (``Mediation.names``):
    two Mayas in the disagreement, and a mediator whose short name is a party's; whole names alike get
    their year group."""
    ava, leo, amira, ben = people
    chen = make_pupil(school, "Maya", "Chen", year_group="Year 3")
    clarke = make_pupil(school, "Maya", "Clarke", year_group="Year 3")
    mediation = flow.start_mediation(school.id, [ava], None)
    db.session.add(mediation)
    flow.add_party(mediation, chen)
    flow.add_party(mediation, clarke)
    db.session.flush()
    assert [party.name for party in mediation.parties] == ["Maya Ch.", "Maya Cl."]
    assert mediation.party_names == "Maya Ch. and Maya Cl." and mediation.mediator_names == "Ava B."
    with pytest.raises(flow.MediationError, match=r"^Maya Cl\. is already here\.$"):
        flow.add_party(mediation, clarke, mediation.version)
    walk_to(mediation, "agreement")
    first, second = mediation.parties
    with pytest.raises(flow.MediationError, match=r"^Write what Maya Cl\. will do\.$"):
        flow.write_agreements(mediation, {first.id: "Share the ball", second.id: ""})

    bell = make_pupil(school, "Ava", "Bell")
    ava_brown = make_pupil(school, "Ava", "Brown", year_group="Year 6")
    led_by_ava = flow.start_mediation(school.id, [ava], None)
    db.session.add(led_by_ava)
    flow.add_party(led_by_ava, bell)
    flow.add_party(led_by_ava, ava_brown)
    db.session.flush()
    assert led_by_ava.mediator_names == "Ava Brown (Year 5)"
    assert led_by_ava.party_names == "Ava Be. and Ava Brown (Year 6)"


def test_only_peer_mediators_of_the_school_lead(school, people):
    ava, leo, amira, ben = people
    with pytest.raises(flow.MediationError):
        flow.start_mediation(school.id, [amira])
    with pytest.raises(flow.MediationError):
        flow.start_mediation(school.id, [])
    with pytest.raises(flow.MediationError):
        flow.start_mediation(school.id, [ava, leo, ava])


def test_ground_rules_need_every_tap_and_a_stale_version_is_refused(school, people):
    mediation = started(school, people)
    flow.next_step(mediation)
    first, second = mediation.parties
    version = mediation.version
    flow.agree_rules(mediation, first.id, version)
    with pytest.raises(flow.StaleMediation):
        flow.agree_rules(mediation, second.id, version)
    with pytest.raises(flow.MediationError, match="ground rules"):
        flow.next_step(mediation)
    flow.agree_rules(mediation, second.id, mediation.version)
    flow.next_step(mediation)
    assert mediation.step == "stories"


def test_overlong_notes_and_unknown_feelings_are_refused(school, people):
    mediation = started(school, people)
    walk_to(mediation, "stories")
    first = mediation.parties[0]
    with pytest.raises(flow.MediationError, match="300"):
        flow.note_stories(mediation, {first.id: "x" * 301})
    with pytest.raises(flow.StaleMediation):
        flow.record_feelings(mediation, {first.id: "sad"})
    walk_to(mediation, "feelings")
    with pytest.raises(flow.MediationError, match="feelings"):
        flow.record_feelings(mediation, {first.id: "smug"})
    walk_to(mediation, "ideas")
    with pytest.raises(flow.MediationError, match="500"):
        flow.note_ideas(mediation, "y" * 501)


def test_get_an_adult_pauses_alerts_once_and_carries_on(school, people):
    mediation = started(school, people)
    stale = mediation.version
    alert = alerts.get_adult(mediation, people[0], stale)
    assert mediation.paused_at is not None
    assert alerts.get_adult(mediation, people[0]) is alert
    with pytest.raises(flow.MediationError, match="paused"):
        flow.next_step(mediation)
    staff = make_staff(school, ("pastoral",))
    alerts.answer_alert(alert, staff)
    db.session.commit()
    assert alert.answered_by_id == staff.id
    assert db.session.scalars(alerts.open_alerts(school.id)).all() == [alert]
    alerts.carry_on(mediation, mediation.version)
    db.session.commit()
    assert mediation.paused_at is None and alert.resolved_at is not None
    assert db.session.scalars(alerts.open_alerts(school.id)).all() == []


def test_we_cant_agree_ends_the_mediation_and_calls_an_adult_once(school, people):
    """"We can't agree" after "Get an adult": an adult not yet on the way is the one asked to take over (one
    call, still open); an adult already on the way is not called a second time."""
    staff = make_staff(school, ("pastoral",))
    for answered in (False, True):
        mediation = started(school, people)
        called = alerts.get_adult(mediation, people[0])
        if answered:
            alerts.answer_alert(called, staff)
        assert alerts.pass_to_staff(mediation, people[1]) is called and mediation.alerts == [called]
        assert mediation.outcome == "no_agreement" and mediation.paused_at is None
        assert (called.resolved_at is not None) is answered
    fresh = started(school, people)
    raised = alerts.pass_to_staff(fresh, people[1], fresh.version)
    db.session.commit()
    assert fresh.open_alert is raised and raised.raised_by_pupil_id == people[1].id
    alerts.answer_alert(raised, staff)
    assert raised.resolved_at is not None, "the adult who answered takes it over"


def test_a_we_cant_agree_nobody_answered_goes_when_the_lead_reviews_it_or_its_day_is_over(school, people):
    """Review: a "We can't agree" nobody answered stayed on every adult's home screen for good, day after day,
    looking new (a time, no date). It goes once the lead reviews the mediation, and from the next day; a paused
    mediation's "Get an adult" stays until it is dealt with."""
    lead = make_staff(school, ("pastoral",))
    ended = started(school, people)
    call = alerts.pass_to_staff(ended, people[1], ended.version)
    paused = started(school, people)
    waiting = alerts.get_adult(paused, people[0])
    db.session.commit()
    today_from, _ = school.day_bounds(school.today())
    assert db.session.scalars(alerts.open_alerts(school.id, today_from)).all() == [call, waiting]
    yesterday = today_from - timedelta(hours=2)
    call.raised_at = waiting.raised_at = ended.completed_at = yesterday
    db.session.commit()
    assert db.session.scalars(alerts.open_alerts(school.id, today_from)).all() == [waiting]

    call.raised_at = ended.completed_at = today_from + timedelta(minutes=1)
    review.mark_reviewed(ended, lead, None)
    db.session.commit()
    assert call.resolved_at is not None and call.answered_by_id == lead.id  # the lead has it: panels say so
    assert db.session.scalars(alerts.open_alerts(school.id, today_from)).all() == [waiting]
    assert db.session.scalars(alerts.taken_over_lately(school.id)).all() == [call]


def test_a_second_adult_answering_a_we_cant_agree_is_told_who_has_it_not_refused(school, people):
    """Review: the second adult to tap I'm on my way for a "We can't agree" was told "That mediation no longer
    needs an adult", though one is taking it over; the first to answer keeps it."""
    first, second = make_staff(school, ("pastoral",)), make_staff(school, ("support",))
    ended = started(school, people)
    call = alerts.pass_to_staff(ended, people[1], ended.version)
    db.session.commit()
    alerts.answer_alert(call, first)
    db.session.commit()
    alerts.answer_alert(call, second)
    db.session.commit()
    assert (call.answered_by_id, call.resolved_at is not None) == (first.id, True)


def test_asking_for_an_adult_keeps_what_the_step_had_typed_and_pauses(school, people):
    mediation = started(school, people)
    walk_to(mediation, "agreement")
    first, second = mediation.parties
    alerts.ask_for_adult(mediation, people[0], {f"p{first.id}": "Share the ball", f"p{second.id}": "",
                                                "review_weeks": "4", "csrf_token": "x"}, mediation.version)
    assert mediation.paused_at is not None and mediation.open_alert is not None
    assert first.agreement.what == "Share the ball" and second.agreement is None, "a draft: Ben's is not written"
    assert first.agreement.review_on == school.today() + timedelta(weeks=4)


@pytest.mark.parametrize("typed", [{}, {"review_weeks": "2"}, {"ideas": "y" * 501}, {"ideas": "Share", "version": "1"}])
def test_asking_for_an_adult_keeps_nothing_it_cannot_and_still_pauses(school, people, typed):
    """No step's fields sent (the page had no script), words the step refuses, or an out-of-date
    screen: what is recorded stays as it was, and help comes all the same."""
    mediation = started(school, people)
    walk_to(mediation, "ideas")
    flow.note_ideas(mediation, "Take turns")
    version = int(typed.get("version", mediation.version))
    alerts.ask_for_adult(mediation, people[0], typed, version)
    assert mediation.ideas == "Take turns" and mediation.paused_at is not None


def test_finishing_waits_for_words_changed_on_the_screen_to_be_saved(school, people):
    mediation = started(school, people)
    walk_to(mediation, "agreement")
    first, second = mediation.parties
    flow.write_agreements(mediation, {first.id: "Share the ball", second.id: "Say sorry"})
    saved = {f"p{first.id}": " Share the ball", f"p{second.id}": "Say sorry "}
    assert flow.agreements_changed_on_screen(mediation, saved) is None
    assert flow.agreements_changed_on_screen(mediation, {}) is None, "no words sent: nothing known to differ"
    changed = flow.agreements_changed_on_screen(mediation, {**saved, f"p{second.id}": "Say sorry to Amira"})
    assert changed.startswith("Ben J.'s agreement was changed on the screen.")


def test_adult_taking_over_ends_the_mediation(school, people):
    mediation = started(school, people)
    alerts.get_adult(mediation, people[0])
    flow.adult_takes_over(mediation, mediation.version)
    assert mediation.outcome == "adult_took_over" and mediation.is_complete
    assert all(a.resolved_at for a in mediation.alerts)
    with pytest.raises(flow.MediationError, match="finished"):
        alerts.get_adult(mediation, people[0])


def test_a_worry_goes_to_the_dsl_only_and_never_into_the_mediation(school, people):
    mediation = started(school, people)
    concern = alerts.tell_about_worry(mediation, people[0], "Ben said his brother hits him", people[3])
    assert concern.id is not None  # stored (once for its form: tests/test_mediation_routes.py)
    assert concern.raised_by_pupil_id == people[0].id and concern.context_kind == "mediation"
    assert concern.pupil_id == people[3].id
    assert "hits" not in repr([p.story_words for p in mediation.parties]) + (mediation.ideas or "")
    with pytest.raises(flow.MediationError):
        alerts.tell_about_worry(mediation, people[0], "note", people[1])
    assert db.session.scalar(select(Concern.id).where(Concern.pupil_id == people[1].id)) is None


def test_on_duty_support_staff_get_alerts_else_every_pastoral_lead(school):
    today = date(2026, 11, 27)
    pastoral = make_staff(school, ("pastoral",))
    support = make_staff(school, ("support",))
    teacher = make_staff(school, ("teacher",))
    assert alerts.alert_recipient_ids(school.id, today) == {pastoral.id}
    alerts.set_on_duty(support, today, True)
    alerts.set_on_duty(support, today, True)
    db.session.commit()
    assert alerts.alert_recipient_ids(school.id, today) == {support.id}
    assert alerts.alert_recipient_ids(school.id, date(2026, 11, 28)) == {pastoral.id}
    with pytest.raises(flow.MediationError):
        alerts.set_on_duty(teacher, today, True)
    alerts.set_on_duty(support, today, False)
    db.session.commit()
    assert alerts.alert_recipient_ids(school.id, today) == {pastoral.id}


def test_record_mediation_in_one_call_is_idempotent_by_client_uuid(school, people):
    ava, leo, amira, ben = people
    kwargs = dict(agreements={amira.id: "Say sorry", ben.id: "Give the ball back"},
                  feelings={amira.id: "hurt"}, stories={ben.id: "ball"}, ideas="Share", place="Field",
                  completed_at=datetime(2026, 11, 27, 12, 30, tzinfo=timezone.utc),
                  client_uuid="0b7c1c5e-4d1e-4f4c-9a53-2b1f7d8e9a10")
    first = flow.record_mediation(school.id, [ava, leo], [amira, ben], **kwargs)
    db.session.commit()
    again = flow.record_mediation(school.id, [ava, leo], [amira, ben], **kwargs)
    assert again.id == first.id
    assert db.session.scalar(select(db.func.count(Mediation.id))) == 1
    assert first.outcome == "agreed" and first.is_complete
    assert sorted(p.agreement.what for p in first.parties) == ["Give the ball back", "Say sorry"]
    assert all(p.agreement.parties[0].agreed_at for p in first.parties)
    with pytest.raises(flow.MediationError):
        flow.record_mediation(school.id, [ava], [amira], agreements={})
    with pytest.raises(flow.MediationError, match="36"):
        flow.record_mediation(school.id, [ava], [amira, ben], agreements={}, client_uuid="u" * 37)
    with pytest.raises(flow.MediationError):
        flow.record_mediation(school.id, [ava], [amira, ben], agreements={amira.id: "x"})


def test_review_by_the_mediation_lead_only_once_finished(school, people):
    mediation = started(school, people)
    lead, teacher = make_staff(school, ("pastoral",)), make_staff(school, ("teacher",))
    with pytest.raises(flow.MediationError, match="finished"):
        review.mark_reviewed(mediation, lead, "")
    flow.no_agreement(mediation)
    db.session.commit()
    assert db.session.scalars(review.review_queue(school.id)).all() == [mediation]
    with pytest.raises(flow.MediationError, match="lead"):
        review.mark_reviewed(mediation, teacher, "")
    with pytest.raises(flow.MediationError, match="2,000"):
        review.mark_reviewed(mediation, lead, "n" * 2001)
    review.mark_reviewed(mediation, lead, "Spoke to both at 1pm")
    db.session.commit()
    assert db.session.scalars(review.review_queue(school.id)).all() == []
    assert mediation.review_note == "Spoke to both at 1pm"


def test_timeline_shows_mediations_to_staff_who_see_the_pupil(app, school, people):
    ava, leo, amira, ben = people
    flow.record_mediation(school.id, [ava, leo], [amira, ben], agreements={amira.id: "Say sorry", ben.id: "Share"})
    pastoral, support = make_staff(school, ("pastoral",)), make_staff(school, ("support",))
    teacher, other_teacher = make_staff(school, ("teacher",)), make_staff(school, ("teacher",))
    make_group(school, pupils=[amira], staff=[teacher, support])
    db.session.commit()
    with app.test_request_context():
        entries = timeline_for(amira, pastoral)
        mine = [e for e in entries if e.kind == "mediation"]
        assert len(mine) == 1 and "Say sorry" in mine[0].detail and mine[0].url
        assert "Ben J." in mine[0].title
        assert [e.kind for e in timeline_for(amira, teacher) if e.kind == "mediation"] == ["mediation"]
        assert [e for e in timeline_for(amira, teacher) if e.kind == "mediation"][0].url is None
        assert [e for e in timeline_for(amira, other_teacher) if e.kind == "mediation"] == []
        assert [e for e in timeline_for(amira, support) if e.kind == "mediation"] == []
        led = [e for e in timeline_for(ava, pastoral) if e.kind == "mediation"]
        assert led[0].title == "Led a peer mediation" and led[0].detail == ""


# Sign-in rules

def test_pin_sign_in_is_throttled_per_mediator_and_per_network(school, people):
    ava, leo = people[0], people[1]
    accounts.set_mediator_login(ava, "Ava.B", "4821")
    accounts.set_mediator_login(leo, "leo.c", "1234")
    db.session.commit()
    throttle, limits = MemoryThrottle(), accounts.MediatorLimits(per_mediator=3, per_ip=5, window_seconds=60)
    assert accounts.sign_in_with_pin("ava.b", "4821", "1.1.1.1", throttle, limits).pupil_id == ava.id
    for _ in range(3):
        with pytest.raises(accounts.MediatorRefused):
            accounts.sign_in_with_pin("ava.b", "0000", "1.1.1.1", throttle, limits)
    with pytest.raises(accounts.MediatorThrottled) as locked:
        accounts.sign_in_with_pin("ava.b", "4821", "1.1.1.1", throttle, limits)
    assert locked.value.scope == "mediator"
    assert accounts.sign_in_with_pin("leo.c", "1234", "1.1.1.1", throttle, limits).pupil_id == leo.id
    for _ in range(2):
        with pytest.raises(accounts.MediatorRefused):
            accounts.sign_in_with_pin("nobody", "0000", "1.1.1.1", throttle, limits)
    with pytest.raises(accounts.MediatorThrottled) as network:
        accounts.sign_in_with_pin("leo.c", "1234", "1.1.1.1", throttle, limits)
    assert network.value.scope == "network"


def test_login_rules(school, people):
    ava, leo, amira, _ = people
    with pytest.raises(accounts.MediatorError, match="not a peer mediator"):
        accounts.set_mediator_login(amira, "amira", "1234")
    with pytest.raises(accounts.MediatorError, match="username"):
        accounts.set_mediator_login(ava, "a", "1234")
    with pytest.raises(accounts.MediatorError, match="PIN"):
        accounts.set_mediator_login(ava, "ava.b", "12")
    accounts.set_mediator_login(ava, "ava.b", "1234")
    db.session.flush()
    with pytest.raises(accounts.MediatorError, match="already"):
        accounts.set_mediator_login(leo, "ava.b", "1234")
    other = make_pupil(make_school("Hill Academy"), "Ava", "Bell", peer_mediator=True)
    with pytest.raises(accounts.MediatorError, match="already"):
        accounts.set_mediator_login(other, "AVA.B", "9999")


def test_badges_are_signed_and_revocable(app, school, people):
    ava = people[0]
    account = accounts.set_mediator_login(ava, "ava.b", "1234")
    db.session.commit()
    throttle, limits = MemoryThrottle(), accounts.MediatorLimits()
    token = accounts.badge_token(account, app.secret_key)
    assert accounts.sign_in_with_badge(token, app.secret_key, "ip", throttle, limits).id == account.id
    assert accounts.read_badge(token[:-2] + "xx", app.secret_key) is None
    assert accounts.read_badge(token, "another-secret") is None
    epoch = account.session_epoch
    accounts.revoke_badge(account)
    db.session.commit()
    with pytest.raises(accounts.MediatorRefused):
        accounts.sign_in_with_badge(token, app.secret_key, "ip", throttle, limits)
    assert accounts.load_account(account.id, epoch) is None
    fresh = accounts.badge_token(account, app.secret_key)
    assert accounts.sign_in_with_badge(fresh, app.secret_key, "ip", throttle, limits).id == account.id
    ava.peer_mediator = False
    db.session.commit()
    with pytest.raises(accounts.MediatorRefused):
        accounts.sign_in_with_badge(fresh, app.secret_key, "ip", throttle, limits)


def dark_modules(path: str) -> set[tuple[int, int]]:
    """Every module a path of unit squares or of row runs (``h<n>v1``) paints."""
    cells = {(int(x), int(y)) for x, y in re.findall(r"M(\d+),(\d+)H", path)}
    for x, y, n in re.findall(r"M(\d+),(\d+)h(\d+)v1", path):
        cells |= {(int(x) + i, int(y)) for i in range(int(n))}
    return cells


def test_badge_qr_rows_are_joined_without_changing_a_module():
    raw = qrcode.make("https://rrp.example/sign-in/mediator/badge/WzEsMV0.abc", image_factory=SvgPathImage,
                      border=2).to_string(encoding="unicode")
    path = re.search(r' d="([^"]+)"', raw).group(1)
    joined = badges.join_rows(path)
    assert dark_modules(joined) == dark_modules(path) and len(joined) < len(path) / 2
    assert badges.join_rows("M0,0L5,5z") == "M0,0L5,5z"
    svg = badges.qr_svg("https://rrp.example/x", 'Ava "B."')
    assert svg.startswith('<svg role="img" aria-label="Ava &#34;B.&#34;" class="badge-qr"')


def agreements_in_the_feed() -> list[str]:
    from rrp_pwa.models.sync import FeedEvent

    return [e.action for e in db.session.scalars(select(FeedEvent).where(FeedEvent.record_type == "agreement")
                                                 .order_by(FeedEvent.seq))]


def test_a_mediations_agreements_reach_the_record_only_once_it_ends_agreed(school, people):
    """What the mediators type at the agreement step is a draft until both tap "I agree" and the
    mediation ends agreed: only then does it enter the feed and come up for review."""
    from rrp_pwa.agreements.rules import reviews_due

    mediation = started(school, people)
    walk_to(mediation, "agreement")
    first, second = mediation.parties
    flow.write_agreements(mediation, {first.id: "Share the ball", second.id: "Use kind words"})
    db.session.commit()
    flow.write_agreements(mediation, {first.id: "Share the ball at lunch", second.id: "Use kind words"})
    db.session.commit()
    later = date.today().replace(year=date.today().year + 1)
    assert agreements_in_the_feed() == [] and db.session.scalars(reviews_due(school.id, later)).all() == []
    flow.party_agrees(mediation, first.id)
    flow.party_agrees(mediation, second.id)
    flow.next_step(mediation)
    db.session.commit()
    assert agreements_in_the_feed() == ["created", "created"]  # a connector never saw them before
    assert sorted(a.what for a in db.session.scalars(reviews_due(school.id, later))) == [
        "Share the ball at lunch", "Use kind words"]


def test_a_mediation_that_ends_without_agreement_leaves_no_agreement_behind(school, people):
    mediation = started(school, people)
    walk_to(mediation, "agreement")
    first, second = mediation.parties
    flow.write_agreements(mediation, {first.id: "Share the ball", second.id: "Say sorry"})
    db.session.commit()
    flow.adult_takes_over(mediation)
    db.session.commit()
    assert db.session.scalars(select(Agreement).where(Agreement.source_kind == "mediation")).all() == []
    assert agreements_in_the_feed() == [] and mediation.outcome == "adult_took_over"


def test_a_draft_written_days_before_the_mediation_ends_agreed_is_reviewed_counting_from_that_day(school, people):
    """The bell went after the agreements were written ("in 1 week"); the mediators came back to it ten days
    later. The agreement enters the record then, reviewed a week on - not with its review date already passed."""
    from rrp_pwa.agreements.rules import reviews_due

    mediation = started(school, people)
    walk_to(mediation, "agreement")
    first, second = mediation.parties
    flow.write_agreements(mediation, {first.id: "Share the ball", second.id: "Use kind words"}, review_weeks=1)
    db.session.flush()
    today = school.today()
    for party in mediation.parties:  # written ten days ago
        party.agreement.created_at -= timedelta(days=10)
        party.agreement.review_on -= timedelta(days=10)
    db.session.commit()
    flow.party_agrees(mediation, first.id)
    flow.party_agrees(mediation, second.id)
    flow.next_step(mediation)
    db.session.commit()
    assert [p.agreement.review_on for p in mediation.parties] == [today + timedelta(weeks=1)] * 2
    assert db.session.scalars(reviews_due(school.id, today)).all() == []
