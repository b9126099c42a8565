"""Restorative conversations and conferences: the questions, who took part, and how it ends.

A conversation: one adult with one or a few pupils after an incident. Each person is in a role
(harmed, caused harm, both, witness, supporter) and is asked the restorative questions for that
role; answers are short and optional. It ends with an agreement (who will do what, by when,
reviewed when). A conference is the formal version for serious harm: preparation notes for
each participant (parents/carers and other adults too, who have no account), the facilitated
meeting following the script, an outcome agreement and a review meeting date.
"""
import hashlib
from datetime import date, datetime, timezone

from sqlalchemy import Select, select

from rrp_pwa.agreements.rules import AgreementError, make_agreement
from rrp_pwa.extensions import db
from rrp_pwa.models.agreements import Agreement
from rrp_pwa.models.conversations import (
    CONVERSATION_KINDS,
    QUESTION_AUDIENCES,
    Answer,
    Conversation,
    Participant,
    QuestionSet,
)
from rrp_pwa.models.roster import Pupil, Staff
from rrp_pwa.roster.directory import school_pupils

PUPIL_ROLES = ("harmed", "caused_harm", "both", "witness", "supporter")
ADULT_ROLES = ("parent_carer", "other_adult", "supporter")
MAX_ANSWER = 1000
MAX_NOTE = 5000
MAX_SUMMARY = 500
MAX_QUESTIONS = 10
MAX_QUESTION = 300

WORDINGS = {
    "secondary": {
        "caused_harm": (
            "What happened?",
            "What were you thinking about at the time?",
            "What have you thought about since?",
            "Who has been affected by what you did? In what way?",
            "What do you think you need to do to make things right?",
            "How can we make sure this doesn't happen again?",
        ),
        "harmed": (
            "What did you think when you realised what had happened?",
            "What impact has this had on you and others?",
            "What has been the hardest thing for you?",
            "What do you think needs to happen to make things right?",
            "How can we make sure this doesn't happen again?",
        ),
        "others": (
            "What happened, from where you were?",
            "What did you think and feel at the time?",
            "Who has been affected, and how?",
            "What do you think needs to happen to make things right?",
        ),
    },
    "primary": {
        "caused_harm": (
            "What happened?",
            "What were you thinking when it happened?",
            "What have you thought about since?",
            "Who has been upset or hurt? How?",
            "What can you do to put things right?",
            "What will you do next time?",
        ),
        "harmed": (
            "What did you think when it happened?",
            "How has it made you feel?",
            "What has been the hardest part?",
            "What would help to put things right?",
            "What would help next time?",
        ),
        "others": (
            "What did you see or hear?",
            "How did it make you feel?",
            "Who has been upset or hurt?",
            "What would help to put things right?",
        ),
    },
}
WORDING_LABELS = {"primary": "Primary (younger children)", "secondary": "Secondary"}
ROLE_AUDIENCES = {"caused_harm": ("caused_harm",), "harmed": ("harmed",), "both": ("caused_harm", "harmed")}
SCRIPT = (
    "Welcome everyone, say why we are here and that everyone will have a turn to speak.",
    "Agree how we will be together: one person speaks at a time; honest and respectful.",
    "Ask the person who caused harm the restorative questions.",
    "Ask the person harmed the restorative questions.",
    "Ask parents/carers and supporters what they thought and how they have been affected.",
    "Ask everyone what needs to happen to make things right; write the agreement together.",
    "Agree when you will meet again to review the agreement; close and thank everyone.",
)


class ConversationError(Exception):
    """A conversation or conference step that breaks a rule; the message is shown to the user.

    ``problems``: every rule broken at once, as (field, message) pairs (field None: the step as a whole),
    as ``AgreementError`` gives them, so the page can show each beside its field."""

    def __init__(self, message: str | None = None, problems: list[tuple[str | None, str]] | None = None) -> None:
        self.problems = list(problems) if problems else [(None, message or "")]
        super().__init__(" ".join(text for _, text in self.problems))


class ConversationFinished(ConversationError):
    """The conversation was already finished (a stale form from another tab or device)."""


class QuestionsChanged(ConversationError):
    """The school's questions changed after the form was loaded; answers would land on the wrong question."""


def conversation_pupils(staff: Staff) -> Select[tuple[Pupil]]:
    """The pupils a restorative conversation or conference may be about: any current pupil of the
    school (not one who has left), whatever the class of the member of staff who starts it."""
    return school_pupils(staff.school_id)


def questions_for(school_id: int, audience: str) -> list[str]:
    """The school's questions for ``audience``, or the shipped secondary wording."""
    saved = db.session.scalar(select(QuestionSet).where(QuestionSet.school_id == school_id,
                                                        QuestionSet.audience == audience))
    return saved.questions.splitlines() if saved else list(WORDINGS["secondary"][audience])


def questions_for_role(school_id: int, role: str) -> list[str]:
    """What to ask someone in ``role``: both sets for someone who was harmed and caused harm."""
    asked: list[str] = []
    for audience in ROLE_AUDIENCES.get(role, ("others",)):
        asked += [q for q in questions_for(school_id, audience) if q not in asked]
    return asked


def set_questions(school_id: int, audience: str, text: str) -> list[str]:
    """Replace the school's questions for ``audience`` with the lines of ``text`` (1-10 questions)."""
    if audience not in QUESTION_AUDIENCES:
        raise ConversationError("Unknown set of questions.")
    questions = [" ".join(line.split()) for line in (text or "").splitlines() if line.strip()]
    if not questions:
        raise ConversationError("Give at least one question, one per line.")
    if len(questions) > MAX_QUESTIONS:
        raise ConversationError(f"Keep it to {MAX_QUESTIONS} questions.")
    if any(len(q) > MAX_QUESTION for q in questions):
        raise ConversationError(f"Keep each question to {MAX_QUESTION} characters.")
    saved = db.session.scalar(select(QuestionSet).where(QuestionSet.school_id == school_id,
                                                        QuestionSet.audience == audience))
    if saved is None:
        saved = QuestionSet(school_id=school_id, audience=audience)
        db.session.add(saved)
    saved.questions = "\n".join(questions)
    return questions


def use_wording(school_id: int, wording: str) -> None:
    """Replace every question set with the shipped primary or secondary wording."""
    if wording not in WORDINGS:
        raise ConversationError("Choose primary or secondary wording.")
    for audience, questions in WORDINGS[wording].items():
        set_questions(school_id, audience, "\n".join(questions))


def start_conversation(school_id: int, staff: Staff, kind: str, pupils: list[tuple[Pupil, str]],
                       adults: list[tuple[str, str]] = (), summary: str | None = None) -> Conversation:
    """Begin a conversation (or conference) with pupils in roles and, optionally, named adults.

    Rules: at least one pupil, each once, all of this school, each in a pupil role; adults
    (parents/carers, other adults, supporters) are named, 120 characters at most; the summary
    of what happened is optional, 500 characters at most. The caller commits.
    """
    if kind not in CONVERSATION_KINDS:
        raise ConversationError("Unknown kind of conversation.")
    if staff.school_id != school_id:
        raise ConversationError("Only staff of this school can hold its conversations.")
    if not pupils:
        raise ConversationError("Choose at least one pupil.")
    if len({pupil.id for pupil, _ in pupils}) != len(pupils):
        raise ConversationError("Each pupil takes part once, in one role.")
    if any(pupil.school_id != school_id for pupil, _ in pupils):
        raise ConversationError("That pupil is not in this school.")
    if any(role not in PUPIL_ROLES for _, role in pupils):
        raise ConversationError("Choose each pupil's role: harmed, caused harm, both, witness or supporter.")
    named = [(" ".join((name or "").split()), role) for name, role in adults if (name or "").strip()]
    if any(len(name) > 120 for name, _ in named):
        raise ConversationError("Keep each name to 120 characters.")
    if any(role not in ADULT_ROLES for _, role in named):
        raise ConversationError("Choose each adult's role: parent or carer, other adult or supporter.")
    summary = (summary or "").strip() or None
    if summary and len(summary) > MAX_SUMMARY:
        raise ConversationError(f"Keep the summary to {MAX_SUMMARY} characters.")
    conversation = Conversation(school_id=school_id, kind=kind, staff_id=staff.id, summary=summary,
                                happened_at=datetime.now(timezone.utc))
    conversation.participants = ([Participant(pupil_id=p.id, pupil=p, role=role) for p, role in pupils]
                                 + [Participant(name=name, role=role) for name, role in named])
    db.session.add(conversation)
    return conversation


def _open(conversation: Conversation) -> None:
    if conversation.completed_at is not None:
        raise ConversationFinished(f"This {conversation.kind_label.lower()} has already been finished.")


def step_reached(conversation: Conversation) -> str | None:
    """The step to carry on at (a view's name: ``preparation``, ``questions`` or ``agreement``); None once
    finished. Nothing records the step, so it is read from what has been saved: answers mean the questions
    (a conference's meeting) were saved, which leads to the agreement; a conference stays at its preparation
    until everyone in it has a preparation note, as those meetings are held one by one over several days."""
    if conversation.completed_at is not None:
        return None
    if any(p.answers for p in conversation.participants):
        return "agreement"
    if conversation.kind == "conference" and not all(p.preparation_note for p in conversation.participants):
        return "preparation"
    return "questions"


def questions_fingerprint(conversation: Conversation) -> str:
    """A short digest of the questions each participant is asked, to spot a form made before they changed."""
    asked = "\n".join(f"{p.id}:{q}" for p in conversation.participants
                      for q in questions_for_role(conversation.school_id, p.role))
    return hashlib.sha256(asked.encode()).hexdigest()[:16]


def save_answers(conversation: Conversation, answers: dict[int, list[str]], fingerprint: str | None = None) -> None:
    """Keep each participant's short answers beside the questions as they were asked.

    ``answers`` maps a participant id to answers in the order of their role's questions; blank
    answers are not kept; each answer is at most 1,000 characters. Saving again replaces the answers
    to the questions asked now; an answer given earlier to a question the school has since reworded
    or removed is kept, after them, beside the question it answered.
    With ``fingerprint`` (from the form), QuestionsChanged is raised if the questions changed since.
    """
    _open(conversation)
    if fingerprint is not None and fingerprint != questions_fingerprint(conversation):
        raise QuestionsChanged("The school's questions changed while you were writing. Your answers are kept "
                               "below: check each is beside the right question, then save again.")
    for participant in conversation.participants:
        questions = questions_for_role(conversation.school_id, participant.role)
        given = answers.get(participant.id, [])
        if any(len((text or "").strip()) > MAX_ANSWER for text in given):
            raise ConversationError(f"Keep each answer to {MAX_ANSWER} characters.")
        asked_now = {q[:MAX_QUESTION] for q in questions}
        earlier = [a for a in participant.answers if a.question not in asked_now]
        fresh = [Answer(question=q[:MAX_QUESTION], answer=text.strip())
                 for q, text in zip(questions, given) if (text or "").strip()]
        participant.answers = fresh + earlier
        for position, answer in enumerate(participant.answers):
            answer.position = position


def save_preparation(conversation: Conversation, notes: dict[int, str]) -> None:
    """A conference's preparation notes, one per participant (5,000 characters at most each)."""
    _open(conversation)
    if conversation.kind != "conference":
        raise ConversationError("Only a conference has preparation meetings.")
    if any(len((note or "").strip()) > MAX_NOTE for note in notes.values()):
        raise ConversationError(f"Keep each note to {MAX_NOTE:,} characters.")
    for participant in conversation.participants:
        if participant.id in notes:
            participant.preparation_note = (notes[participant.id] or "").strip() or None


def finish(conversation: Conversation, staff: Staff, what: str | None, owner_ids: list[int], *,
           by_when: date | None = None, review_on: date | None = None, meeting_notes: str | None = None,
           review_meeting_on: date | None = None, today: date | None = None) -> Agreement | None:
    """End the conversation with its agreement (owners are participants) and, for a conference,
    the meeting notes and a review meeting date (required, not in the past).

    A conversation may end without an agreement; a conference needs its outcome agreement. Every
    problem is raised at once (``ConversationError.problems``), the agreement's beside the conference's.
    """
    _open(conversation)
    today = today or date.today()
    what, problems = (what or "").strip(), []
    conference = conversation.kind == "conference"
    if conference:
        notes = (meeting_notes or "").strip() or None
        if not what:
            problems.append(("what", "Write the outcome agreement."))
        meeting_set = review_meeting_on is not None and review_meeting_on >= today
        if not meeting_set:
            problems.append(("review_meeting_on", "Set a review meeting date from today on."))
        if notes and len(notes) > MAX_NOTE:
            problems.append(("meeting_notes", f"Keep the meeting notes to {MAX_NOTE:,} characters."))
        # the outcome agreement is reviewed at the review meeting; a meeting date refused is said once, above
        review_on = review_meeting_on if meeting_set else None
    agreement = None
    if what:
        owners = [p for p in conversation.participants if p.id in set(owner_ids)]
        try:
            agreement = make_agreement(conversation.school_id, conversation.kind, conversation.id, what,
                                       pupils=[p.pupil for p in owners if p.pupil],
                                       names=[p.name for p in owners if not p.pupil and p.name],
                                       by_when=by_when, review_on=review_on, created_by=staff, today=today)
        except AgreementError as exc:
            problems += [("review_meeting_on" if conference and field == "review_on" else field, text)
                         for field, text in exc.problems]
    if problems:
        raise ConversationError(problems=problems)
    if conference:
        conversation.meeting_notes, conversation.review_meeting_on = notes, review_meeting_on
    if agreement is not None:
        db.session.add(agreement)
    conversation.completed_at = datetime.now(timezone.utc)
    return agreement
