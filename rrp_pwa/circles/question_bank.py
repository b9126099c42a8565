"""The school's question bank for circle rounds, with defaults for primary and secondary pupils.

The defaults follow the shape of a circle (DOMAIN.md): an easy check-in, community-building
questions, then story, impact and repair for problem-solving and restorative circles, and a
closing round. A school uses them until an admin first edits its bank, which stores them; admins
then add and remove questions in their own words (younger children, SEND).
"""
from sqlalchemy import func, select

from rrp_pwa.circles.talking_piece import CircleError
from rrp_pwa.extensions import db
from rrp_pwa.models.circles import PROMPT_STAGES, CirclePrompt

DEFAULT_PROMPTS = {
    "primary": [
        "What is one thing that made you smile this week?",
        "If you were an animal today, which one would you be and why?",
        "What is something you are looking forward to?",
        "Who is someone who helps you, and how do they help?",
        "What does a good friend do?",
        "What helps you feel calm when you are cross or worried?",
        "What happened, and what were you thinking at the time?",
        "Who has been affected, and how?",
        "What could we do to make things right?",
        "What can we do so this doesn't happen again?",
        "What is one word for how you feel now, at the end of our circle?",
    ],
    "secondary": [
        "What is something that went well for you this week, however small?",
        "What is one thing most people here don't know about you?",
        "What is something you are proud of?",
        "What makes a classroom a place where you can do your best?",
        "What does respect look like between us?",
        "What happened, from your point of view?",
        "What were you thinking and feeling at the time, and since?",
        "Who has been affected by what happened, and in what way?",
        "What has been the hardest thing for you?",
        "What needs to happen to put things right?",
        "What will you take away from today's circle?",
    ],
}


def _defaults(school_id: int) -> list[CirclePrompt]:
    return [CirclePrompt(school_id=school_id, stage=stage, text=text, position=n, archived=False)
            for stage, texts in DEFAULT_PROMPTS.items() for n, text in enumerate(texts)]


def _stored(school_id: int) -> int:
    return db.session.scalar(select(func.count(CirclePrompt.id)).where(CirclePrompt.school_id == school_id)) or 0


def ensure_bank(school_id: int) -> None:
    """Store the default questions before a school's first edit of its bank (the caller commits)."""
    if not _stored(school_id):
        db.session.add_all(_defaults(school_id))
        db.session.flush()


def bank(school_id: int) -> list[CirclePrompt]:
    """The school's current questions, primary first; the defaults (unsaved) until an admin edits
    the bank, so reading it never writes."""
    if not _stored(school_id):
        return _defaults(school_id)
    return list(db.session.scalars(select(CirclePrompt).where(
        CirclePrompt.school_id == school_id, CirclePrompt.archived.is_(False))
        .order_by(CirclePrompt.stage, CirclePrompt.position, CirclePrompt.id)))


def add_prompt(school_id: int, stage: str, text: str) -> CirclePrompt:
    """A new question at the end of its stage's list."""
    text = " ".join((text or "").split())
    if not text:
        raise CircleError("Type the question.")
    if len(text) > 300:
        raise CircleError("Keep the question to 300 characters.")
    if stage not in PROMPT_STAGES:
        raise CircleError("Choose primary or secondary.")
    ensure_bank(school_id)
    position = db.session.scalar(select(func.max(CirclePrompt.position)).where(
        CirclePrompt.school_id == school_id, CirclePrompt.stage == stage)) or 0
    prompt = CirclePrompt(school_id=school_id, stage=stage, text=text, position=position + 1, archived=False)
    db.session.add(prompt)
    return prompt


def remove_prompt(school_id: int, text: str) -> None:
    """Take a question out of the bank (kept for circles that already used it)."""
    ensure_bank(school_id)
    for prompt in db.session.scalars(select(CirclePrompt).where(
            CirclePrompt.school_id == school_id, CirclePrompt.text == text, CirclePrompt.archived.is_(False))):
        prompt.archived = True
