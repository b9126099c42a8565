"""The rules of quick chats, without the HTTP client."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from rrp_pwa.conversations.chats import (
    ChatError,
    chat_pupils,
    chips_for,
    choose_pupils,
    lunchtime_chats,
    recent_first,
    recent_pupils,
    record_quick_chat,
    set_chips,
)
from rrp_pwa.extensions import db
from rrp_pwa.models.conversations import QuickChat
from tests.conftest import make_group, make_pupil, make_school, make_staff


@pytest.fixture
def school(app):
    return make_school()


@pytest.fixture
def assistant(school):
    return make_staff(school, ("support",), name="Mo Midday")


def test_a_chat_may_be_about_any_current_pupil_of_the_school_whatever_the_class(school, assistant):
    """One rule for Log a chat, the offline pupil list and the sync API: the assistant is in no class."""
    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Jones")
    left = make_pupil(school, "Lee", "Gone", archived=True)
    stranger = make_pupil(make_school("Hill Academy"), "Hal", "Other")
    db.session.commit()
    assert set(db.session.scalars(chat_pupils(assistant))) == {amira, ben}
    assert set(db.session.scalars(chat_pupils(assistant, with_leavers=True))) == {amira, ben, left}
    assert choose_pupils(chat_pupils(assistant), [ben.id, amira.id]) == [ben, amira]
    for refused in (left, stranger):
        with pytest.raises(ChatError, match="not in this school, or has left it"):
            choose_pupils(chat_pupils(assistant), [amira.id, refused.id])


def test_records_a_chat_with_the_time_and_chips(school, assistant):
    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Jones")
    chat = record_quick_chat(school.id, assistant, [amira, ben], "Unkind words", "Playground",
                             agreed="Said sorry", note="  Sorted at the bench  ")
    db.session.commit()
    saved = db.session.get(QuickChat, chat.id)
    assert [p.given_name for p in saved.pupils] == ["Amira", "Ben"]
    assert (saved.what, saved.where, saved.agreed, saved.note) == ("Unkind words", "Playground", "Said sorry",
                                                                   "Sorted at the bench")
    assert abs(saved.happened_at.replace(tzinfo=timezone.utc) - datetime.now(timezone.utc)) < timedelta(seconds=10)


def test_same_client_uuid_returns_the_first_chat_unchanged(school, assistant):
    amira = make_pupil(school)
    first = record_quick_chat(school.id, assistant, [amira], "Physical", "Field", client_uuid="u-1")
    db.session.commit()
    again = record_quick_chat(school.id, assistant, [amira], "Left out", "Dining hall", client_uuid="u-1")
    assert again.id == first.id and again.what == "Physical"
    assert db.session.query(QuickChat).count() == 1


def test_client_uuid_is_per_school(school, assistant):
    other = make_school("Hill High")
    record_quick_chat(school.id, assistant, [make_pupil(school)], "Physical", "Field", client_uuid="same")
    record_quick_chat(other.id, make_staff(other, ("support",)), [make_pupil(other)], "Physical", "Field",
                      client_uuid="same")
    db.session.commit()
    assert db.session.query(QuickChat).count() == 2


@pytest.mark.parametrize("kwargs, message", [
    ({"pupils": []}, "Choose at least one pupil"),
    ({"what": ""}, "Choose what happened"),
    ({"where": ""}, "Choose where"),
    ({"what": "Murder"}, "isn't one of the school's chips"),
    ({"where": "Moon"}, "isn't one of the school's chips"),
    ({"agreed": "Nothing much"}, "isn't one of the school's chips"),
    ({"note": "x" * 281}, "280 characters"),
    ({"happened_at": datetime.now(timezone.utc) + timedelta(hours=2)}, "future"),
])
def test_bad_input_raises_a_chat_error(school, assistant, kwargs, message):
    args = {"pupils": [make_pupil(school)], "what": "Physical", "where": "Field", **kwargs}
    with pytest.raises(ChatError, match=message):
        record_quick_chat(school.id, assistant, **args)


def test_pupil_of_another_school_is_refused(school, assistant):
    stranger = make_pupil(make_school("Hill High"), "Zed", "Other")
    with pytest.raises(ChatError, match="not in this school"):
        record_quick_chat(school.id, assistant, [stranger], "Physical", "Field")


def test_staff_of_another_school_is_refused(school):
    other = make_school("Hill High")
    with pytest.raises(ChatError, match="Only staff of this school"):
        record_quick_chat(school.id, make_staff(other, ("support",)), [make_pupil(school)], "Physical", "Field")


def test_school_chips_replace_the_defaults_and_old_chats_keep_their_words(school, assistant):
    amira = make_pupil(school)
    old = record_quick_chat(school.id, assistant, [amira], "Game dispute", "Field")
    assert set_chips(school.id, "what", "Football row\n\n football row \nName calling") == ["Football row", "Name calling"]
    db.session.commit()
    assert chips_for(school.id, "what") == ["Football row", "Name calling"]
    assert chips_for(school.id, "where") == chips_for(make_school("Hill High").id, "where")
    with pytest.raises(ChatError):
        record_quick_chat(school.id, assistant, [amira], "Game dispute", "Field")
    assert db.session.get(QuickChat, old.id).what == "Game dispute"


@pytest.mark.parametrize("text, message", [("", "at least one"), ("\n \n", "at least one"),
                                           ("x" * 61, "60 characters"),
                                           ("\n".join(f"c{i}" for i in range(17)), "16 chips")])
def test_bad_chip_lists_are_refused(school, text, message):
    with pytest.raises(ChatError, match=message):
        set_chips(school.id, "where", text)


def test_recent_pupils_are_the_last_chosen_first(school, assistant):
    amira, ben, cara = make_pupil(school), make_pupil(school, "Ben", "Jones"), make_pupil(school, "Cara", "Lee")
    now = datetime.now(timezone.utc)
    record_quick_chat(school.id, assistant, [amira], "Physical", "Field", happened_at=now - timedelta(hours=2))
    record_quick_chat(school.id, assistant, [cara, amira], "Physical", "Field", happened_at=now - timedelta(hours=1))
    record_quick_chat(school.id, make_staff(school, ("support",)), [ben], "Physical", "Field")
    db.session.commit()
    assert [p.given_name for p in recent_pupils(assistant)] == ["Amira", "Cara"]


def test_lunchtime_list_holds_todays_chats_about_the_teachers_pupils(school, assistant):
    teacher = make_staff(school, ("teacher",))
    mine, theirs = make_pupil(school), make_pupil(school, "Ben", "Jones")
    make_group(school, pupils=[mine], staff=[teacher])
    today = record_quick_chat(school.id, assistant, [mine], "Physical", "Field")
    record_quick_chat(school.id, assistant, [mine], "Physical", "Field",
                      happened_at=datetime.now(timezone.utc) - timedelta(days=2))
    record_quick_chat(school.id, assistant, [theirs], "Physical", "Field")
    db.session.commit()
    day = datetime.now(ZoneInfo("Europe/London")).date()
    assert [c.id for c in db.session.scalars(lunchtime_chats(teacher, day))] == [today.id]
    assert list(db.session.scalars(lunchtime_chats(teacher, date(2001, 1, 1)))) == []


def test_recent_pupils_come_first_among_matches(school, assistant):
    adam, amira = make_pupil(school, "Adam", "Ali"), make_pupil(school)
    record_quick_chat(school.id, assistant, [amira], "Physical", "Field")
    db.session.commit()
    assert [p.given_name for p in recent_first([adam, amira], recent_pupils(assistant))] == ["Amira", "Adam"]
