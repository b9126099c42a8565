"""The mediator session: the one or two mediators signed in on a shared tablet.

It lives in the Flask session under its own key and never alongside a staff sign-in: signing
a mediator in clears the session (ending any staff sign-in on the tablet), and a staff
sign-in clears it in turn. It ends after MEDIATOR_IDLE_MINUTES (default 10) without a
request, when a mediation finishes, or when staff change the mediator's PIN or revoke the badge.
"Get an adult" still reaches the adults up to MEDIATOR_HELP_IDLE_MINUTES (default 60) after the
tablet went idle: the pupils talked for a long while (a lunchtime) without anyone touching it, then
something worrying was said.
"""
import re
import time
from dataclasses import dataclass
from functools import wraps
from typing import Callable

from flask import current_app, g, jsonify, redirect, render_template, request, session, url_for

from rrp_pwa.auth.permissions import wants_machine_answer
from rrp_pwa.auth.sign_ins import end_sign_in, note_activity, sign_in_is_live, start_sign_in
from rrp_pwa.mediation.accounts import load_account
from rrp_pwa.models import Pupil, short_names
from rrp_pwa.models.mediation import MediatorAccount

SESSION_KEY = "mediator_team"
MAX_TEAM = 2
TYPED_STEP = re.compile(r"/mediate/([0-9]+)/(stories|feelings|ideas|agreements)")
TYPED_STEPS = {"stories": "stories", "feelings": "feelings", "ideas": "ideas", "agreements": "agreement"}
CARRIED_FIELD = re.compile(r"version|ideas|review_weeks|p[0-9]+")


@dataclass
class Team:
    school_id: int
    accounts: list[MediatorAccount]
    timed_out: bool = False  # idle too long: only "Get an adult" may still act, then they sign in again

    @property
    def pupils(self) -> list[Pupil]:
        return [account.pupil for account in self.accounts]

    @property
    def pupil_ids(self) -> list[int]:
        return [account.pupil_id for account in self.accounts]

    @property
    def names(self) -> str:
        """The mediators signed in, told apart if their short names are the same (``short_names``)."""
        names = short_names(self.pupils)
        return " and ".join(names[p.id] for p in self.pupils)

    @property
    def full(self) -> bool:
        """As many signed in as a team can be: another signing in takes the first one's place
        (``sign_in_mediator``)."""
        return len(self.accounts) >= MAX_TEAM

    @property
    def first_name(self) -> str:
        """The first mediator signed in, as ``names`` shows them: the one another sign-in would sign out."""
        return short_names(self.pupils)[self.pupils[0].id]


def idle_limit_seconds() -> int:
    return int(current_app.config["MEDIATOR_IDLE_MINUTES"]) * 60


def help_limit_seconds() -> int:
    """How long after the tablet went idle "Get an adult" still works (see the module docstring)."""
    return int(current_app.config["MEDIATOR_HELP_IDLE_MINUTES"]) * 60


def sign_in_mediator(account: MediatorAccount) -> None:
    """Add a mediator to this tablet's team. The first one starts a fresh session - and so does
    anyone joining a team that has gone idle or signed out, which nobody may bring back."""
    team = current_team()
    if team is None or team.school_id != account.school_id:
        start_sign_in()  # whoever was signed in on the tablet is signed out
        members = []
    else:
        members = [[other.id, other.session_epoch] for other in team.accounts if other.id != account.id]
    members.append([account.id, account.session_epoch])
    session[SESSION_KEY] = {"school": account.school_id, "members": members[-MAX_TEAM:], "seen": int(time.time())}


def end_team_session() -> None:
    end_sign_in()


def sign_out_after_help(team: Team) -> bool:
    """After "Get an adult" from a tablet gone idle (``team.timed_out``), the adults are told and the
    mediators are signed out: they sign in again to carry on. True if they were signed out."""
    if not team.timed_out:
        return False
    end_team_session()
    return True


def current_team(asking_for_help: bool = False) -> Team | None:
    """The signed-in mediators, or None once the session is missing, idle or revoked. ``asking_for_help``
    ("Get an adult"): a session idle for no longer than MEDIATOR_HELP_IDLE_MINUTES still counts, marked
    ``timed_out`` (the view ends it once the adults are told)."""
    stored = session.get(SESSION_KEY)
    if not stored:
        return None
    now = int(time.time())
    idle_for = now - int(stored.get("seen", 0))
    timed_out = idle_for > idle_limit_seconds()
    if (timed_out and not (asking_for_help and idle_for <= help_limit_seconds())) or not sign_in_is_live():
        session.clear()
        return None
    accounts = [account for account_id, epoch in stored.get("members", [])
                if (account := load_account(account_id, epoch)) is not None
                and account.school_id == stored.get("school")]
    if not accounts:
        session.clear()
        return None
    if not timed_out and note_activity(stored, now):
        session[SESSION_KEY] = stored
    return Team(school_id=stored["school"], accounts=accounts, timed_out=timed_out)


def typed_step(path: str | None) -> tuple[int, str] | None:
    """The mediation and step of a screen where mediators type (stories, feelings, ideas, agreements)."""
    found = TYPED_STEP.fullmatch(path or "")
    return (int(found[1]), TYPED_STEPS[found[2]]) if found else None


def carried_fields(form) -> list[tuple[str, str]]:
    """What a step's form sent (its version, the words typed, the feelings picked or when to check), to carry
    through the sign-in page after an idle timeout; nothing else of the request."""
    return [(name, value) for name, value in form.items(multi=True) if CARRIED_FIELD.fullmatch(name)][:8]


def mediator_unauthorized():
    """Pages go to the mediator sign-in; htmx, JSON and streams get a plain 401.

    A step's form sent after the session went idle (the mediators typed while the pupils talked)
    gets the sign-in page at once, carrying what was typed, so signing in again shows it back
    instead of losing it (``routes.sign_in``). It is kept nowhere else.
    """
    if wants_machine_answer():
        if request.accept_mimetypes.best == "application/json":
            return jsonify(error="Sign in first."), 401
        return render_template("errors/_error.html", code=401, message="Please sign in again."), 401
    if request.method == "POST" and typed_step(request.path):
        from rrp_pwa.mediation.forms import MediatorSignInForm  # here: the forms import the flow, which imports this

        return render_template("mediation/sign_in.html", form=MediatorSignInForm(formdata=None),
                               carried=carried_fields(request.form), next_path=request.path), 401
    return redirect(url_for("mediation.sign_in", next=request.full_path.rstrip("?")))


def mediator_required(view: Callable | None = None, *, asking_for_help: bool = False) -> Callable:
    """Signed-in peer mediators only (``g.team``); staff sessions do not count. ``asking_for_help``: see
    ``current_team`` (used as ``@mediator_required(asking_for_help=True)``)."""
    if view is None:
        return lambda later: mediator_required(later, asking_for_help=asking_for_help)

    @wraps(view)
    def wrapped(*args, **kwargs):
        team = current_team(asking_for_help)
        if team is None:
            return mediator_unauthorized()
        g.team = team
        return view(*args, **kwargs)

    wrapped.access = ("mediator",)
    return wrapped
