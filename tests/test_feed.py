"""The event feed: events for registered records, the MIS shape, tokens, paging, no concerns,
and no event skipped by a reader polling while several writers commit."""
import json
import random
import threading
import time

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from rrp_pwa.agreements.rules import make_agreement, record_follow_up, review_agreement
from rrp_pwa.checkins.rules import record_checkin
from rrp_pwa.conversations.chats import record_quick_chat
from rrp_pwa.extensions import db
from rrp_pwa.mediation import flow
from rrp_pwa.mediation.review import record_follow_up as follow_up_mediation
from rrp_pwa.models import Concern
from rrp_pwa.models.sync import ApiToken, FeedEvent
from rrp_pwa.safeguarding.concerns import raise_concern
from rrp_pwa.sync.exports import pupil_records, to_csv
from rrp_pwa.sync.feed import NeverInFeed, read_feed, register_record
from rrp_pwa.sync.tokens import create_token
from tests.conftest import make_pupil, make_school, make_staff


def feed_of(school) -> list[dict]:
    return [{**json.loads(e.record), "_action": e.action, "_seq": e.seq}
            for e in db.session.scalars(select(FeedEvent).where(FeedEvent.school_id == school.id)
                                        .order_by(FeedEvent.seq))]


@pytest.fixture
def school():
    return make_school()


def test_agreement_and_review_become_created_and_updated_events(app, school):
    teacher = make_staff(school, ("teacher",))
    amira = make_pupil(school, external_id="stu-1")
    agreement = make_agreement(school.id, "chat", None, "Give Ben space at lunch", pupils=[amira],
                               created_by=teacher)
    db.session.add(agreement)
    db.session.commit()
    review_agreement(agreement, "kept", "Went well", teacher)
    db.session.commit()
    events = feed_of(school)
    assert [(e["_seq"], e["_action"], e["type"]) for e in events] == [
        (1, "created", "agreement"), (2, "created", "agreement_review"), (3, "updated", "agreement")]
    created = events[0]
    assert created["pupils"] == [{"id": amira.id, "mis_id": "stu-1", "name": "Amira Khan", "role": "agrees"}]
    assert created["staff"][0]["role"] == "recorded_by" and created["narrative"] == "Give Ben space at lunch"
    assert set(created) >= {"date_time", "category", "location", "pupils", "staff", "narrative", "outcome",
                            "follow_up"}
    assert events[1]["outcome"] == "Kept" and events[1]["narrative"] == "Went well"
    assert events[2]["outcome"] == "kept"


def test_a_review_not_kept_says_a_further_conversation_is_needed_until_it_is_followed_up(app, school):
    """QA: the review's record (feed, webhooks, a pupil's export) said "further conversation needed: True" after
    the pastoral lead had recorded the follow-up. Once followed up, an updated event says it is not, and when."""
    lead = make_staff(school, ("pastoral",))
    agreement = make_agreement(school.id, "chat", None, "Give Ben space at lunch", pupils=[make_pupil(school)],
                               created_by=lead)
    db.session.add(agreement)
    db.session.commit()
    review_agreement(agreement, "not_kept", None, lead)
    db.session.commit()
    record_follow_up(agreement, lead)
    db.session.commit()
    reviews = [e for e in feed_of(school) if e["type"] == "agreement_review"]
    assert [(e["_action"], e["follow_up"]["further_conversation_needed"]) for e in reviews] == [
        ("created", True), ("updated", False)]
    assert reviews[0]["follow_up"]["followed_up_at"] is None
    followed = agreement.latest_review.followed_up_at.replace(tzinfo=None).isoformat()  # naive from SQLite
    assert reviews[1]["follow_up"]["followed_up_at"].startswith(followed)


def test_a_review_not_kept_then_reviewed_again_no_longer_says_a_further_conversation_is_needed(app, school):
    """Review: after "not kept" an agreement can be reviewed again ("Review it again"), and then only the latest
    review's follow-up is owed (the follow-up list, the agreement's page). The earlier review's record still said
    "further conversation needed: True" for ever, in the feed and in every export. The new review is also an
    updated event for the one it supersedes, which now says no."""
    lead = make_staff(school, ("pastoral",))
    amira = make_pupil(school)
    agreement = make_agreement(school.id, "chat", None, "Give Ben space at lunch", pupils=[amira], created_by=lead)
    db.session.add(agreement)
    db.session.commit()
    review_agreement(agreement, "not_kept", None, lead)
    db.session.commit()
    review_agreement(agreement, "kept", None, lead)
    db.session.commit()
    first, second = (review.id for review in agreement.reviews)
    events = [(e["_action"], e["id"], e["follow_up"]["further_conversation_needed"])
              for e in feed_of(school) if e["type"] == "agreement_review"]
    assert events == [("created", first, True), ("created", second, False), ("updated", first, False)]
    exported = {r["id"]: r["follow_up"]["further_conversation_needed"]
                for r in pupil_records(amira) if r["type"] == "agreement_review"}
    assert exported == {first: False, second: False}


def test_a_mediation_with_no_agreement_says_a_further_conversation_is_needed_until_it_is_followed_up(app, school):
    """Review: the pupil's record says "No agreement - passed to staff · followed up on ..." (85419ed), but the
    mediation's record in the feed, webhooks and exports never said whether it had been: the follow-up was an
    updated event that changed nothing in it. It says so now, as a review not kept does (2b16a12)."""
    lead = make_staff(school, ("pastoral",))
    ava, leo = (make_pupil(school, name, "Mediator", peer_mediator=True) for name in ("Ava", "Leo"))
    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Osei")
    db.session.commit()
    mediation = flow.record_mediation(school.id, [ava, leo], [amira, ben], agreements={}, agreed=set(),
                                      outcome="no_agreement")
    db.session.commit()
    follow_up_mediation(mediation, lead)
    db.session.commit()
    mediations = [e for e in feed_of(school) if e["type"] == "mediation"]
    assert [(e["_action"], e["follow_up"]["further_conversation_needed"]) for e in mediations] == [
        ("created", True), ("updated", False)]
    assert mediations[0]["follow_up"]["followed_up_at"] is None
    followed = mediation.followed_up_at.replace(tzinfo=None).isoformat()  # naive from SQLite
    assert mediations[1]["follow_up"]["followed_up_at"].startswith(followed)
    exported = [r for r in pupil_records(amira) if r["type"] == "mediation"]
    assert exported[0]["follow_up"]["further_conversation_needed"] is False
    assert "further conversation needed: False; followed up at: " in to_csv(exported, amira)


def test_check_in_event_and_a_pupils_own_word_is_never_in_it(app, school):
    """The word an adult wrote with a check-in made with staff is its narrative; the word a pupil said in a
    circle or typed at the check-in station (told only adults at school see it) never leaves the app."""
    pupil = make_pupil(school)
    record_checkin(school.id, "faces", 2, "staff", pupil=pupil, word="tired")
    record_checkin(school.id, "faces", 4, "circle", pupil=pupil, word="said in the circle")
    record_checkin(school.id, "faces", 1, "station", pupil=pupil, word="my dog died")
    db.session.commit()
    staff_checkin, circle_checkin, station_checkin = feed_of(school)
    assert staff_checkin["narrative"] == "tired" and staff_checkin["outcome"] == "Not great"
    assert staff_checkin["follow_up"] == {"check_in_later": True}
    assert circle_checkin["narrative"] is None
    assert "said in the circle" not in json.dumps(circle_checkin)
    assert (station_checkin["narrative"], station_checkin["outcome"], station_checkin["location"]) == (
        None, "Awful", "station")
    assert station_checkin["follow_up"] == {"check_in_later": True}
    assert "my dog died" not in json.dumps(station_checkin)


def test_quick_chat_event_maps_where_what_and_agreed(app, school):
    support = make_staff(school, ("support",))
    pupil = make_pupil(school)
    record_quick_chat(school.id, support, [pupil], "Unkind words", "Playground", agreed="Said sorry")
    db.session.commit()
    (chat,) = feed_of(school)
    assert (chat["type"], chat["location"], chat["narrative"], chat["outcome"]) == (
        "quick_chat", "Playground", "Unkind words", "Said sorry")
    assert chat["pupils"][0]["role"] == "involved" and chat["staff"][0]["role"] == "recorded_by"


def test_deleting_a_record_is_a_deleted_event(app, school):
    pupil = make_pupil(school)
    checkin = record_checkin(school.id, "faces", 4, "staff", pupil=pupil)
    db.session.commit()
    db.session.delete(checkin)
    db.session.commit()
    assert [(e["_action"], e["type"]) for e in feed_of(school)] == [("created", "check_in"), ("deleted", "check_in")]


def test_a_record_rolled_back_in_a_savepoint_makes_no_event(app, school):
    pupil = make_pupil(school)
    savepoint = db.session.begin_nested()
    record_checkin(school.id, "faces", 4, "staff", pupil=pupil)
    db.session.flush()
    savepoint.rollback()
    record_checkin(school.id, "faces", 5, "staff", pupil=pupil)
    db.session.commit()
    assert [e["value"] for e in feed_of(school)] == [5]


def test_rollback_writes_no_event(app, school):
    record_checkin(school.id, "faces", 4, "staff", pupil=make_pupil(school))
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert db.session.scalars(select(FeedEvent)).all() == []


def test_safeguarding_concerns_never_enter_the_feed(app, school):
    dsl = make_staff(school, ("dsl",))
    pupil = make_pupil(school)
    db.session.add(raise_concern(school.id, "Said someone at home hurts them", "pupil", pupil=pupil,
                                 raised_by_staff=dsl))
    record_checkin(school.id, "faces", 1, "staff", pupil=pupil)
    db.session.commit()
    assert db.session.query(Concern).count() == 1
    events = db.session.scalars(select(FeedEvent)).all()
    assert [e.record_type for e in events] == ["check_in"]
    assert all("hurts" not in e.record for e in events)
    with pytest.raises(NeverInFeed):
        register_record(Concern, "concern", lambda c: {}, when=Concern.created_at, involving=lambda p: True)


def test_sequences_are_per_school(app, school):
    other = make_school("Hill Academy")
    record_checkin(school.id, "faces", 4, "staff", pupil=make_pupil(school))
    record_checkin(other.id, "faces", 4, "staff", pupil=make_pupil(other))
    db.session.commit()
    record_checkin(other.id, "faces", 3, "staff", pupil=make_pupil(other))
    db.session.commit()
    assert [e["_seq"] for e in feed_of(school)] == [1]
    assert [e["_seq"] for e in feed_of(other)] == [1, 2]


# The API

def bearer(plain: str) -> dict:
    return {"Authorization": f"Bearer {plain}"}


def test_events_api_needs_a_live_token(client, app, school):
    admin = make_staff(school, ("admin",))
    token, plain = create_token(admin, "Arbor connector")
    db.session.commit()
    assert client.get("/api/v1/events").status_code == 401
    assert client.get("/api/v1/events", headers=bearer("rrp_wrong")).status_code == 401
    assert client.get("/api/v1/events", headers=bearer(plain)).status_code == 200
    token.revoked_at = token.created_at
    db.session.commit()
    response = client.get("/api/v1/events", headers=bearer(plain))
    assert response.status_code == 401 and response.json["error"] == "unauthorized"


def test_events_api_pages_with_a_cursor_and_shows_only_its_school(client, app, school):
    other = make_school("Hill Academy")
    admin = make_staff(school, ("admin",))
    _, plain = create_token(admin, "connector")
    pupil = make_pupil(school)
    for value in (1, 2, 3, 4, 5):
        record_checkin(school.id, "faces", value, "staff", pupil=pupil)
        db.session.commit()
    record_checkin(other.id, "faces", 3, "staff", pupil=make_pupil(other))
    db.session.commit()
    first = client.get("/api/v1/events?limit=3", headers=bearer(plain)).json
    assert [e["sequence"] for e in first["events"]] == [1, 2, 3] and first["has_more"] is True
    rest = client.get(f"/api/v1/events?cursor={first['next_cursor']}&limit=3", headers=bearer(plain)).json
    assert [e["record"]["value"] for e in rest["events"]] == [4, 5] and rest["has_more"] is False
    empty = client.get(f"/api/v1/events?cursor={rest['next_cursor']}", headers=bearer(plain)).json
    assert empty == {"events": [], "next_cursor": rest["next_cursor"], "has_more": False}
    event = first["events"][0]
    assert set(event) == {"id", "sequence", "action", "type", "record_id", "time", "record"}
    assert client.get("/api/v1/events?cursor=abc", headers=bearer(plain)).status_code == 400


@pytest.mark.parametrize("roles, status", [(("admin",), 200), (("teacher",), 403), (("pastoral",), 403),
                                           (("dsl",), 403), (("support",), 403)])
def test_only_admins_manage_tokens(client, auth, roles, status):
    auth.login(roles=roles)
    assert client.get("/admin/sync/tokens").status_code == status


def test_admin_creates_a_token_shown_once_and_stored_hashed_then_revokes_it(client, auth, app):
    auth.login(roles=("admin",))
    page = client.post("/admin/sync/tokens", data={"name": "Arbor connector"}).get_data(as_text=True)
    plain = page.split('<code class="secret">')[1].split("<")[0]
    assert plain.startswith("rrp_")
    stored = db.session.scalar(select(ApiToken))
    assert stored.token_hash != plain and plain not in stored.token_hash
    assert plain not in client.get("/admin/sync/tokens").get_data(as_text=True)
    assert client.get("/api/v1/events", headers=bearer(plain)).status_code == 200
    client.post(f"/admin/sync/tokens/{stored.id}/revoke", data={"asked": "yes"})
    assert client.get("/api/v1/events", headers=bearer(plain)).status_code == 401


def test_the_tokens_and_webhooks_say_their_times_on_the_schools_clock(client, auth, app):
    """QA: the sync pages printed the stored UTC time: a token used at 00:30 on 2 July (British Summer Time)
    said "last used 01 Jul 2026 23:30", and a webhook added then said 01 Jul."""
    from datetime import datetime, timezone

    from rrp_pwa.models.sync import WebhookEndpoint

    admin = auth.login(roles=("admin",))
    token, _ = create_token(admin, "Arbor connector")
    late = datetime(2026, 7, 1, 23, 30, tzinfo=timezone.utc)
    token.created_at = token.last_used_at = late
    db.session.add(WebhookEndpoint(school_id=admin.school_id, url="https://connector.example/rrp", secret="whsec_x",
                                   created_at=late))
    db.session.commit()
    tokens = " ".join(client.get("/admin/sync/tokens").get_data(as_text=True).split())
    assert "made 2 Jul 2026 · last used 2 Jul 2026, 00:30" in tokens
    assert "added 2 Jul 2026" in client.get("/admin/sync/webhooks").get_data(as_text=True)


def test_an_admin_cannot_revoke_another_schools_token(client, auth, app, school):
    other_admin = make_staff(make_school("Hill Academy"), ("admin",))
    token, plain = create_token(other_admin, "theirs")
    db.session.commit()
    auth.login(roles=("admin",), school=school)
    assert client.post(f"/admin/sync/tokens/{token.id}/revoke").status_code == 404
    assert client.get("/api/v1/events", headers=bearer(plain)).status_code == 200


# Concurrency: sequence numbers are handed out inside the writing transaction

WRITERS, WRITES_EACH = 4, 15


@pytest.fixture
def slow_commits():
    """Widen the gap between numbering the events (our before_commit) and the commit itself, where a
    sequence handed out without holding the counter lock would let a later number commit first."""
    def linger(_session):
        time.sleep(random.random() * 0.004)

    event.listen(Session, "before_commit", linger)
    yield
    event.remove(Session, "before_commit", linger)


def test_a_polling_reader_never_skips_an_event_written_concurrently(app, school, slow_commits):
    pupil = make_pupil(school)
    db.session.commit()
    school_id, pupil_id = school.id, pupil.id
    errors: list[BaseException] = []
    done = threading.Event()

    def write_one(n: int, i: int) -> None:
        # SQLite allows one writer at a time and refuses one whose snapshot has gone stale
        # ("database is locked"); the embedded profile's single gevent worker never runs two
        # write transactions at once, but these OS threads do, so on SQLite a refused write is
        # retried. PostgreSQL waits on the counter row lock instead and never gets here.
        for _ in range(50):
            try:
                record_checkin(school_id, "numbers", 1 + (n + i) % 5, "staff", word=f"w{n}-{i}",
                               pupil=db.session.get(type(pupil), pupil_id))
                db.session.flush()
                time.sleep(0.002 * ((n + i) % 3))  # let the writers' transactions overlap
                db.session.commit()
                return
            except OperationalError as exc:
                db.session.rollback()
                if db.engine.dialect.name != "sqlite" or "database is locked" not in str(exc):
                    raise
                time.sleep(0.01)
        raise AssertionError("SQLite refused the same write 50 times")

    def writer(n: int) -> None:
        try:
            with app.app_context():
                for i in range(WRITES_EACH):
                    write_one(n, i)
                db.session.remove()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    seen: list[int] = []

    def reader() -> None:
        try:
            with app.app_context():
                cursor = None
                while True:
                    finished = done.is_set()
                    events, next_cursor, _ = read_feed(school_id, cursor, 7)
                    db.session.rollback()
                    seen.extend(e.seq for e in events)
                    cursor = str(next_cursor)
                    if finished and not events:
                        break
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    polling = threading.Thread(target=reader)
    polling.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    polling.join(timeout=60)
    assert errors == []
    total = WRITERS * WRITES_EACH
    assert seen == list(range(1, total + 1))
    words = {json.loads(e.record)["narrative"] for e in db.session.scalars(select(FeedEvent))}
    assert len(words) == total
