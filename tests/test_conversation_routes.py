"""Restorative conversation and conference screens, and the admin's question sets."""
import re
from datetime import date, timedelta

import pytest

from rrp_pwa.conversations.restorative import (
    finish,
    questions_for,
    save_answers,
    save_preparation,
    set_questions,
    start_conversation,
)
from rrp_pwa.extensions import db
from rrp_pwa.models.agreements import Agreement
from rrp_pwa.models.conversations import Conversation
from tests.conftest import make_pupil, make_school, make_staff


@pytest.fixture
def school(app):
    school = make_school()
    db.session.commit()
    return school


def test_start_page_prefills_the_chosen_pupils(client, auth, school):
    auth.login(roles=("teacher",))
    amira = make_pupil(school)
    db.session.commit()
    page = client.get(f"/conversations/new?pupil_id={amira.id}").get_data(as_text=True)
    assert "Remove Amira Khan" in page and 'name="role-' in page and "Start the conversation" in page
    assert "Worried about a child" in page and "can't be kept secret" in page


def test_a_full_conversation_through_every_step(client, auth, school):
    teacher = auth.login(roles=("teacher",))
    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Jones")
    db.session.commit()
    response = client.post("/conversations/new", data={"pupil_id": [amira.id, ben.id], f"role-{amira.id}": "harmed",
                                                       f"role-{ben.id}": "caused_harm", "summary": "Row at lunch"})
    talk = db.session.query(Conversation).one()
    assert response.headers["Location"].endswith(f"/conversations/{talk.id}/questions")
    page = client.get(f"/conversations/{talk.id}/questions").get_data(as_text=True)
    assert "What were you thinking about at the time?" in page and "What has been the hardest thing for you?" in page
    harmed, harmer = talk.participants
    response = client.post(f"/conversations/{talk.id}/questions",
                           data={f"answer-{harmer.id}-0": "I pushed her", f"answer-{harmed.id}-1": "Upset"})
    assert response.headers["Location"].endswith(f"/conversations/{talk.id}/agreement")
    review_on = (date.today() + timedelta(days=10)).isoformat()
    response = client.post(f"/conversations/{talk.id}/agreement",
                           data={"what": "Ben will give Amira space", "owners": [harmer.id], "review_on": review_on})
    assert response.headers["Location"].endswith(f"/conversations/{talk.id}")
    page = client.get(f"/conversations/{talk.id}").get_data(as_text=True)
    assert "I pushed her" in page and "Ben will give Amira space" in page and teacher.name in page
    assert db.session.query(Agreement).one().created_by_id == teacher.id


def test_a_conference_with_a_parent_preparation_and_review_meeting(client, auth, school):
    auth.login(roles=("pastoral",))
    amira = make_pupil(school)
    db.session.commit()
    client.post("/conversations/new?kind=conference", data={"pupil_id": [amira.id], f"role-{amira.id}": "harmed",
                                                            "adult-name-0": "Mr Khan", "adult-role-0": "parent_carer"})
    conference = db.session.query(Conversation).one()
    assert conference.kind == "conference" and [p.label for p in conference.participants] == ["Amira Khan", "Mr Khan"]
    dad = conference.participants[1]
    response = client.post(f"/conversations/{conference.id}/preparation", data={f"note-{dad.id}": "Worried"})
    assert response.headers["Location"].endswith(f"/conversations/{conference.id}/questions")
    assert "The script" in client.get(f"/conversations/{conference.id}/questions").get_data(as_text=True)
    bad = client.post(f"/conversations/{conference.id}/agreement", data={"what": "Check in weekly",
                                                                         "owners": [dad.id]})
    assert bad.status_code == 400 and "review meeting date" in bad.get_data(as_text=True)
    assert "Check in weekly" in bad.get_data(as_text=True)
    meeting = (date.today() + timedelta(days=14)).isoformat()
    client.post(f"/conversations/{conference.id}/agreement", data={"what": "Check in weekly", "owners": [dad.id],
                                                                   "review_meeting_on": meeting})
    page = client.get(f"/conversations/{conference.id}").get_data(as_text=True)
    assert "Conference" in page and "Preparation:" in page and "Worried" in page and "Review meeting" in page


@pytest.mark.parametrize("data, message", [
    ({}, "Choose at least one pupil"),
    ({"role": ""}, "Choose each pupil&#39;s role"),
    ({"role": "harmed", "summary": "x" * 501}, "500 characters"),
    ({"role": "harmed", "adult-name-0": "Mrs K", "adult-role-0": "boss"}, "Choose each adult&#39;s role"),
])
def test_bad_starts_are_shown_and_nothing_is_saved(client, auth, school, data, message):
    auth.login(roles=("teacher",))
    amira = make_pupil(school)
    db.session.commit()
    form = {k: v for k, v in data.items() if k != "role"}
    if "role" in data:
        form.update({"pupil_id": [amira.id], f"role-{amira.id}": data["role"]})
    response = client.post("/conversations/new", data=form)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.session.query(Conversation).count() == 0


def test_a_pupil_of_another_school_cannot_be_added(client, auth, school):
    auth.login(roles=("teacher",))
    stranger = make_pupil(make_school("Hill High"), "Zed", "Other")
    db.session.commit()
    response = client.post("/conversations/new", data={"pupil_id": [stranger.id], f"role-{stranger.id}": "harmed"})
    assert response.status_code == 400 and db.session.query(Conversation).count() == 0


def test_a_stale_form_after_finishing_gets_409_and_changes_nothing(client, auth, school):
    teacher = auth.login(roles=("teacher",))
    amira = make_pupil(school)
    talk = start_conversation(school.id, teacher, "conversation", [(amira, "harmed")])
    db.session.commit()
    assert client.post(f"/conversations/{talk.id}/agreement", data={"what": ""}).status_code == 302
    response = client.post(f"/conversations/{talk.id}/questions", data={f"answer-{talk.participants[0].id}-0": "late"})
    assert response.status_code == 409 and "already been finished" in response.get_data(as_text=True)
    assert client.post(f"/conversations/{talk.id}/agreement", data={"what": "again"}).status_code == 409
    db.session.expire_all()
    assert db.session.get(Conversation, talk.id).participants[0].answers == []


def test_answers_on_a_form_made_before_the_questions_changed_are_kept_and_not_saved(client, auth, school):
    teacher = auth.login(roles=("teacher",))
    talk = start_conversation(school.id, teacher, "conversation", [(make_pupil(school), "harmed")])
    db.session.commit()
    page = client.get(f"/conversations/{talk.id}/questions").get_data(as_text=True)
    fingerprint = page.split('name="fingerprint" value="')[1].split('"')[0]
    set_questions(school.id, "harmed", "How are you feeling now?")
    db.session.commit()
    pid = talk.participants[0].id
    response = client.post(f"/conversations/{talk.id}/questions", data={f"answer-{pid}-0": "Sad",
                                                                        "fingerprint": fingerprint})
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "questions changed while you were writing" in page and "Sad" in page
    assert db.session.get(Conversation, talk.id).participants[0].answers == []
    fresh = page.split('name="fingerprint" value="')[1].split('"')[0]
    assert client.post(f"/conversations/{talk.id}/questions", data={f"answer-{pid}-0": "Sad",
                                                                    "fingerprint": fresh}).status_code == 302


def test_overlong_answers_are_refused_and_kept_on_screen(client, auth, school):
    teacher = auth.login(roles=("teacher",))
    talk = start_conversation(school.id, teacher, "conversation", [(make_pupil(school), "harmed")])
    db.session.commit()
    response = client.post(f"/conversations/{talk.id}/questions",
                           data={f"answer-{talk.participants[0].id}-0": "y" * 1001})
    assert response.status_code == 400 and "1000 characters" in response.get_data(as_text=True)
    assert "y" * 1001 in response.get_data(as_text=True)


def test_only_the_lead_or_whole_school_staff_carry_on_a_conversation(client, auth, school):
    amira = make_pupil(school)
    lead = make_staff(school, ("pastoral",))
    talk = start_conversation(school.id, lead, "conversation", [(amira, "harmed")])
    db.session.commit()
    auth.login(roles=("teacher",))
    assert client.get(f"/conversations/{talk.id}/questions").status_code == 404
    assert client.get(f"/conversations/{talk.id}/preparation").status_code == 404


def test_preparation_is_not_a_step_of_a_conversation(client, auth, school):
    teacher = auth.login(roles=("teacher",))
    talk = start_conversation(school.id, teacher, "conversation", [(make_pupil(school), "harmed")])
    db.session.commit()
    assert client.get(f"/conversations/{talk.id}/preparation").status_code == 404


def test_another_schools_conversation_is_not_found(client, auth, school):
    other = make_school("Hill High")
    talk = start_conversation(other.id, make_staff(other, ("pastoral",)), "conversation",
                              [(make_pupil(other), "harmed")])
    db.session.commit()
    auth.login(roles=("admin",))
    for url in (f"/conversations/{talk.id}", f"/conversations/{talk.id}/questions",
                f"/conversations/{talk.id}/agreement"):
        assert client.get(url).status_code == 404


@pytest.mark.parametrize("roles, status", [(("support",), 403), (("teacher",), 200), (("pastoral",), 200),
                                           (("dsl",), 200), (("admin",), 200)])
def test_who_may_start_a_conversation(client, auth, school, roles, status):
    auth.login(roles=roles)
    assert client.get("/conversations/new").status_code == status


def test_admin_edits_question_sets_and_conversations_ask_them(client, auth, school):
    admin = auth.login(roles=("admin",))
    assert "What were you thinking about at the time?" in client.get("/admin/questions").get_data(as_text=True)
    response = client.post("/admin/questions", data={"caused_harm": "What did you do?\nWho was hurt?",
                                                      "harmed": "How are you?", "others": "What did you see?"})
    assert response.status_code == 302 and questions_for(school.id, "caused_harm") == ["What did you do?", "Who was hurt?"]
    talk = start_conversation(school.id, admin, "conversation", [(make_pupil(school), "caused_harm")])
    db.session.commit()
    assert "Who was hurt?" in client.get(f"/conversations/{talk.id}/questions").get_data(as_text=True)
    assert client.post("/admin/questions/wording", data={"wording": "primary", "asked": "yes"}).status_code == 302
    assert questions_for(school.id, "harmed")[1] == "How has it made you feel?"
    assert client.post("/admin/questions/wording", data={"wording": "nursery"}).status_code == 400


def test_bad_question_sets_are_shown_beside_the_field(client, auth, school):
    auth.login(roles=("admin",))
    response = client.post("/admin/questions", data={"caused_harm": "q" * 301, "harmed": "ok?", "others": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "300 characters" in page and "Give at least one question." in page
    assert questions_for(school.id, "harmed")[0].startswith("What did you think")


@pytest.mark.parametrize("roles", [("teacher",), ("support",), ("pastoral",), ("dsl",)])
def test_only_admins_edit_questions(client, auth, school, roles):
    auth.login(roles=roles)
    assert client.get("/admin/questions").status_code == 403
    assert client.post("/admin/questions/wording", data={"wording": "primary"}).status_code == 403


def test_an_agreement_left_without_a_review_date_still_comes_up_for_review(client, auth, school):
    teacher = auth.login(roles=("teacher",))
    talk = start_conversation(school.id, teacher, "conversation", [(make_pupil(school), "caused_harm")])
    db.session.commit()
    owner = talk.participants[0].id
    late = client.post(f"/conversations/{talk.id}/agreement", data={
        "what": "Say sorry", "owners": [owner], "by_when": (date.today() - timedelta(days=30)).isoformat()})
    assert late.status_code == 400 and "&#39;by when&#39; date has passed" in late.get_data(as_text=True)
    client.post(f"/conversations/{talk.id}/agreement", data={"what": "Say sorry", "owners": [owner], "review_on": ""})
    assert db.session.query(Agreement).one().review_on == date.today() + timedelta(days=14)


def test_a_conferences_agreement_is_reviewed_at_its_review_meeting(client, auth, school):
    auth.login(roles=("pastoral",))
    amira = make_pupil(school)
    db.session.commit()
    client.post("/conversations/new?kind=conference", data={"pupil_id": [amira.id], f"role-{amira.id}": "harmed"})
    conference = db.session.query(Conversation).one()
    page = client.get(f"/conversations/{conference.id}/agreement").get_data(as_text=True)
    assert "Review the agreement on" not in page and "The agreement is reviewed at this meeting." in page
    meeting = date.today() + timedelta(days=30)
    client.post(f"/conversations/{conference.id}/agreement", data={
        "what": "Check in weekly", "owners": [conference.participants[0].id], "review_meeting_on": meeting.isoformat()})
    assert db.session.query(Agreement).one().review_on == meeting


def test_a_conferences_steps_lead_back_to_preparation(client, auth, school):
    auth.login(roles=("pastoral",))
    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Jones")
    db.session.commit()
    client.post("/conversations/new?kind=conference", data={"pupil_id": [amira.id, ben.id], f"role-{amira.id}": "harmed",
                                                            f"role-{ben.id}": "caused_harm"})
    conference = db.session.query(Conversation).one()
    page = client.get(f"/conversations/{conference.id}/questions").get_data(as_text=True)
    assert f'<a href="/conversations/{conference.id}/preparation">Preparation</a>' in page
    assert f'<a href="/conversations/{conference.id}/agreement">Agreement</a>' in page


def test_answers_to_questions_the_school_has_since_changed_are_kept(client, auth, school):
    teacher = auth.login(roles=("teacher",))
    talk = start_conversation(school.id, teacher, "conversation", [(make_pupil(school), "caused_harm")])
    db.session.commit()
    pid = talk.participants[0].id
    client.post(f"/conversations/{talk.id}/questions", data={f"answer-{pid}-0": "I pushed her"})
    set_questions(school.id, "caused_harm", "Tell me what happened.\nWho was affected?")
    db.session.commit()
    page = client.get(f"/conversations/{talk.id}/questions").get_data(as_text=True)
    assert "Answered before the school's questions changed" in page and "I pushed her" in page
    fingerprint = page.split('name="fingerprint" value="')[1].split('"')[0]
    client.post(f"/conversations/{talk.id}/questions", data={f"answer-{pid}-1": "Amira", "fingerprint": fingerprint})
    db.session.expire_all()
    answers = [(a.question, a.answer) for a in db.session.get(Conversation, talk.id).participants[0].answers]
    assert answers == [("Who was affected?", "Amira"), ("What happened?", "I pushed her")]


def test_a_pupil_who_has_left_cannot_be_put_in_a_new_conversation(client, auth, school):
    auth.login(roles=("teacher",))
    left = make_pupil(school)
    left.archived = True
    db.session.commit()
    response = client.post("/conversations/new", data={"pupil_id": [left.id], f"role-{left.id}": "harmed"})
    assert response.status_code == 400 and "has left it" in response.get_data(as_text=True)
    assert db.session.query(Conversation).count() == 0


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2026-13-01"])
def test_the_lunchtime_page_of_an_impossible_day_is_not_found(client, auth, school, day):
    auth.login(roles=("teacher",))
    assert client.get(f"/lunchtime?day={day}").status_code == 404


def test_a_review_date_chosen_before_by_when_is_still_refused(client, auth, school):
    """Only the review date the page filled in gives way to a later 'by when'; one the teacher chose is theirs."""
    teacher = auth.login(roles=("teacher",))
    talk = start_conversation(school.id, teacher, "conversation", [(make_pupil(school), "caused_harm")])
    db.session.commit()
    suggested = (date.today() + timedelta(days=14)).isoformat()
    assert f'name="review_suggested" type="hidden" value="{suggested}"' in client.get(
        f"/conversations/{talk.id}/agreement").get_data(as_text=True)
    chosen = client.post(f"/conversations/{talk.id}/agreement", data={
        "what": "Say sorry", "owners": [talk.participants[0].id], "review_suggested": suggested,
        "review_on": (date.today() + timedelta(days=20)).isoformat(),
        "by_when": (date.today() + timedelta(days=30)).isoformat()})
    assert chosen.status_code == 400 and "can&#39;t be before the &#39;by when&#39; date" in chosen.get_data(as_text=True)
    assert db.session.query(Agreement).count() == 0


def test_a_missing_role_is_marked_beside_that_pupil(client, auth, school):
    """Start refused for a role not chosen: the pupil whose role is missing is named beside their select
    (not only a message at the top), and the role already chosen and the summary stay."""
    auth.login(roles=("teacher",))
    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Jones")
    db.session.commit()
    response = client.post("/conversations/new", data={"pupil_id": [amira.id, ben.id], f"role-{amira.id}": "harmed",
                                                       "summary": "Row at lunch"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and db.session.query(Conversation).count() == 0
    assert f'<p class="error" id="role-{ben.id}-error">Choose Ben Jones\'s role.</p>' in page
    assert f'aria-describedby="role-{ben.id}-error"' in page and f"role-{amira.id}-error" not in page
    assert '<option value="harmed" selected>' in page and "Row at lunch" in page


def carry_on_target(page: str) -> str | None:
    found = re.search(r'<a class="button primary" href="([^"]+)">Carry on</a>', page)
    return found and found.group(1)


@pytest.mark.parametrize("kind, prepared, answered, step", [
    ("conference", (), False, "preparation"),
    ("conference", ("Amira Khan",), False, "preparation"),  # Ben's preparation meeting is still to come
    ("conference", ("Amira Khan", "Ben Jones"), False, "questions"),
    ("conference", ("Amira Khan", "Ben Jones"), True, "agreement"),
    ("conversation", (), False, "questions"),
    ("conversation", (), True, "agreement"),
])
def test_carry_on_goes_to_the_step_the_conversation_is_at(client, auth, school, kind, prepared, answered, step):
    """Carry on on a conference still at its preparation went to the meeting; it goes where the lead left off."""
    lead = auth.login(roles=("pastoral",))
    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Jones")
    talk = start_conversation(school.id, lead, kind, [(amira, "harmed"), (ben, "caused_harm")])
    db.session.flush()
    if prepared:
        save_preparation(talk, {p.id: "Met at break" for p in talk.participants if p.label in prepared})
    if answered:
        save_answers(talk, {talk.participants[1].id: ["I pushed her"]})
    db.session.commit()
    page = client.get(f"/conversations/{talk.id}").get_data(as_text=True)
    assert carry_on_target(page) == f"/conversations/{talk.id}/{step}"
    assert client.get(carry_on_target(page)).status_code == 200


def test_a_finished_conversation_has_no_carry_on(client, auth, school):
    lead = auth.login(roles=("pastoral",))
    talk = start_conversation(school.id, lead, "conversation", [(make_pupil(school), "harmed")])
    db.session.flush()
    finish(talk, lead, None, [])
    db.session.commit()
    page = client.get(f"/conversations/{talk.id}").get_data(as_text=True)
    assert "Finished" in page and carry_on_target(page) is None


def test_adding_and_removing_a_pupil_keeps_the_roles_and_what_was_typed(client, auth, school):
    """A pick or Remove sends the start form back: the roles chosen, the adults named and the summary come
    again (they were lost), a pupil just added is not yet marked as missing a role, and nothing is started."""
    auth.login(roles=("pastoral",))
    amira, ben = make_pupil(school), make_pupil(school, "Ben", "Jones")
    db.session.commit()
    typed = {"pupil_id": [amira.id], f"role-{amira.id}": "harmed", "adult-name-0": "Mrs Khan",
             "adult-role-0": "parent_carer", "summary": "Pushing in the queue"}
    response = client.post("/conversations/new?kind=conference", data={**typed, "add_pupil": ben.id})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and db.session.query(Conversation).count() == 0
    assert "Remove Ben Jones" in page and "Ben Jones's role" in page and "Choose Ben Jones's role." not in page
    assert '<option value="harmed" selected>' in page and 'value="Mrs Khan"' in page
    assert "Pushing in the queue" in page and "Start the conference" in page
    page = client.post("/conversations/new?kind=conference",
                       data={**typed, "remove_pupil": amira.id}).get_data(as_text=True)
    assert "Remove Amira Khan" not in page and 'value="Mrs Khan"' in page and "Pushing in the queue" in page
    assert db.session.query(Conversation).count() == 0


def test_holding_a_conference_instead_keeps_the_roles_and_what_was_typed(client, auth, school):
    """"Hold a conference instead" (and back) once the form is on the page sends it back: the roles, the
    adults and the summary stay (the switch was a link, and lost them), the kind changes, nothing is
    started; a conversation shows every adult typed into the conference's four rows, not only two."""
    auth.login(roles=("pastoral",))
    amira = make_pupil(school)
    db.session.commit()
    page = client.get(f"/conversations/new?pupil_id={amira.id}").get_data(as_text=True)
    assert re.search(r'<button[^>]*formaction="/conversations/new\?kind=conference"[^>]*>Hold a conference instead',
                     page)
    typed = {"pupil_id": [amira.id], f"role-{amira.id}": "harmed", "adult-name-0": "Mrs Khan",
             "adult-role-0": "parent_carer", "summary": "Pushing in the queue", "find": "1"}
    response = client.post("/conversations/new?kind=conference", data=typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and db.session.query(Conversation).count() == 0
    assert "Start the conference" in page and "Hold a conversation instead" in page
    assert '<option value="harmed" selected>' in page and 'value="Mrs Khan"' in page and "Pushing in the queue" in page
    three = {**typed, "adult-name-1": "Mr Khan", "adult-name-2": "Ms Reed"}
    page = client.post("/conversations/new?kind=conversation", data=three).get_data(as_text=True)
    assert "Start the conversation" in page and "Hold a conference instead" in page
    assert all(f'value="{name}"' in page for name in ("Mrs Khan", "Mr Khan", "Ms Reed"))
    assert 'id="adult-name-3"' not in page  # rows as typed, not the conference's four
    assert db.session.query(Conversation).count() == 0


def test_every_problem_with_the_agreement_shows_at_once_beside_its_field(client, auth, school):
    """Nobody ticked, both dates passed and the review before the 'by when': one Finish shows all of it,
    each message beside its field, the field marked invalid and pointing at it; what was typed stays."""
    teacher = auth.login(roles=("teacher",))
    talk = start_conversation(school.id, teacher, "conversation", [(make_pupil(school), "caused_harm")])
    db.session.commit()
    response = client.post(f"/conversations/{talk.id}/agreement", data={
        "what": "Say sorry to Ben", "by_when": (date.today() - timedelta(days=28)).isoformat(),
        "review_on": (date.today() - timedelta(days=59)).isoformat()})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and db.session.query(Agreement).count() == 0
    assert "Say sorry to Ben</textarea>" in page and "Please check the highlighted fields." in page
    assert re.search(r'<p class="error" id="owners-error">Choose who the agreement is for.</p>', page)
    assert re.search(r'<p class="error" id="by_when-error">The &#39;by when&#39; date has passed', page)
    assert re.search(r'<p class="error" id="review_on-error">The review date has passed: choose today or a later '
                     r'day. The review date can&#39;t be before the &#39;by when&#39; date.</p>', page)
    for name in ("by_when", "review_on"):
        tag = re.search(rf'<input[^>]*id="{name}"[^>]*>', page).group(0)
        assert 'aria-invalid="true"' in tag and f'aria-describedby="{name}' in tag and f"{name}-error" in tag
    assert 'aria-describedby="owners-error"' in page
    assert re.search(r'<textarea[^>]*aria-invalid="false"[^>]*id="what"', page)


def test_a_conference_names_its_own_problems_and_the_agreements_together(client, auth, school):
    auth.login(roles=("pastoral",))
    amira = make_pupil(school)
    db.session.commit()
    client.post("/conversations/new?kind=conference", data={"pupil_id": [amira.id], f"role-{amira.id}": "harmed"})
    conference = db.session.query(Conversation).one()
    page = client.post(f"/conversations/{conference.id}/agreement", data={
        "what": "Check in weekly", "by_when": (date.today() - timedelta(days=1)).isoformat()}).get_data(as_text=True)
    assert 'id="owners-error">Choose who the agreement is for.' in page
    assert 'id="by_when-error">The &#39;by when&#39; date has passed' in page
    assert 'id="review_meeting_on-error">Set a review meeting date from today on.</p>' in page
    assert db.session.get(Conversation, conference.id).completed_at is None
