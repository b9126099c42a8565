"""Quick chats, restorative conversations and conferences, and the school's chips and questions."""
from datetime import date, datetime, timedelta, timezone
from uuid import uuid4
from zoneinfo import ZoneInfo

from flask import abort, after_this_request, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from rrp_pwa.agreements.routes import agreement_to_follow_up as followed_agreement
from rrp_pwa.agreements.rules import agreements_from, record_follow_up
from rrp_pwa.agreements.rules import follows_up_with as agreement_followed_with
from rrp_pwa.asking import Question, ask, was_asked
from rrp_pwa.auth.permissions import staff_required
from rrp_pwa.conversations import bp
from rrp_pwa.conversations.chats import (
    ChatError,
    chat_pupils,
    chips_for,
    choose_pupils,
    lunchtime_chats,
    new_chat_id,
    pupils_by_id,
    recent_first,
    recent_pupils,
    record_quick_chat,
    set_chips,
    todays_chats_by,
)
from rrp_pwa.conversations.forms import (
    ChatForm,
    ChipsForm,
    FinishForm,
    QuestionsForm,
    StartForm,
    StepForm,
    WordingForm,
)
from rrp_pwa.conversations.restorative import (
    ADULT_ROLES,
    PUPIL_ROLES,
    SCRIPT,
    WORDING_LABELS,
    ConversationError,
    ConversationFinished,
    QuestionsChanged,
    conversation_pupils,
    finish,
    questions_for,
    questions_fingerprint,
    questions_for_role,
    save_answers,
    save_preparation,
    set_questions,
    start_conversation,
    step_reached,
    use_wording,
)
from rrp_pwa.extensions import db, htmx
from rrp_pwa.follow_ups import followed_from_request
from rrp_pwa.forms import choices, show_problems
from rrp_pwa.home.tiles import Tile, add_tiles
from rrp_pwa.mediation.review import LEAD_ROLES, follows_up_with
from rrp_pwa.mediation.review import record_follow_up as follow_up_mediation
from rrp_pwa.models.conversations import (
    PARTICIPANT_ROLE_LABELS,
    QUESTION_AUDIENCES,
    Conversation,
    QuickChat,
)
from rrp_pwa.models.mediation import Mediation
from rrp_pwa.models.roster import Pupil, School
from rrp_pwa.records.access import WHOLE_SCHOOL_READERS, may_read
from rrp_pwa.records.actions import add_pupil_action
from rrp_pwa.roster.directory import search_pupils
from rrp_pwa.tenancy import get_scoped_or_404, lock_scoped_or_404

ANY_STAFF = ("admin", "teacher", "support", "pastoral", "dsl")
PICK_TARGETS = {"chat": "conversations.chat_new", "conversation": "conversations.start",
                "conference": "conversations.start"}
RECORD_FORMS = {"chat": "chat-form", "conversation": "start-form", "conference": "start-form"}
PICKS = ("add_pupil", "remove_pupil", "find")  # the picker's buttons that send the record's form back


@bp.record_once
def chat_tile_first(_state) -> None:
    """Log a chat is the midday assistant's first tile. Added when the blueprint is registered (after
    every capability module has been imported) so other first tiles cannot push it down."""
    add_tiles("support", Tile("Log a chat", "A quick restorative chat: who, what happened, where.",
                              "conversations.chat_new"), first=True)


add_tiles("teacher", Tile("What happened at lunchtime", "Today's chats about pupils in your groups.",
                          "conversations.lunchtime"), first=True)
for _role in ("teacher", "pastoral", "dsl", "admin"):
    add_tiles(_role, Tile("Start a conversation", "A restorative conversation or a conference after harm.",
                          "conversations.start"))
add_tiles("admin", Tile("Chat chips", "What happened and where: the choices on a quick chat.",
                        "conversations.chip_settings"),
          Tile("Restorative questions", "The wording of the questions, for primary or secondary.",
               "conversations.question_settings"))
add_pupil_action("Log a chat", "conversations.chat_new")
add_pupil_action("Start a conversation", "conversations.start", roles=("admin", "teacher", "pastoral", "dsl"))


@bp.app_template_filter("school_time")
def school_time(moment: datetime, pattern: str = "%H:%M", school: School | None = None) -> str:
    """A stored UTC time as the school's clock shows it (SQLite returns it without a zone): the
    signed-in member of staff's school, or ``school`` where nobody is signed in (a class station)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    school = school or getattr(current_user, "school", None)
    return moment.astimezone(school.zone if school else ZoneInfo("Europe/London")).strftime(pattern)


def school_today() -> date:
    return current_user.school.today()


def chosen_ids() -> list[int]:
    """The pupils chosen, with the one a pick added (``add_pupil``) or a Remove took off (``remove_pupil``)."""
    ids = [i for i in request.values.getlist("pupil_id", type=int) if i]
    added, removed = request.form.get("add_pupil", type=int), request.form.get("remove_pupil", type=int)
    return ([i for i in ids if i != removed] + ([added] if added and added not in ids else []))[:8]


def picking() -> bool:
    """The record's form came back from the pupil picker (Search, a pick, a Remove), to be shown again as it
    was with the pupils changed: not to be saved."""
    return request.method == "POST" and any(name in request.form for name in PICKS)


def replace_address(address: str) -> None:
    """htmx puts ``address`` in the address bar (in place of the page's) once this answer is swapped in."""
    @after_this_request
    def replace(response):
        response.headers["HX-Replace-Url"] = address
        return response


def followed_mediation() -> Mediation | None:
    """The peer mediation a conversation or conference being started follows up (the request's
    ``follows_mediation``), if it ended with no agreement and still needs one and this person is the mediation
    lead; starting it with one of its pupils records the follow-up (``rrp_pwa.mediation.review.record_follow_up``)."""
    return followed_from_request(Mediation, "follows_mediation", lambda mediation: mediation.needs_follow_up
                                 and current_user.has_role(*LEAD_ROLES))


def picker(target: str, form_shown: bool | None = None) -> dict:
    """What the pupil picker shows: chosen pupils, then matches for what was typed (recent first).
    ``carry`` is what every pick, removal and search keeps besides the pupils: a conference's kind,
    and the agreement a further conversation follows up. ``record_form``: the id of the record's form
    when it is on the page (``form_shown``; for the search's own answer, as the search says), which the
    picker's buttons then send back, so that nothing tapped or typed in it is lost."""
    chosen = pupils_by_id(current_user.school_id, chosen_ids())
    if form_shown is None:
        form_shown = request.args.get("record_form") == RECORD_FORMS[target]
    # a pupil just picked or taken off (a pick link says picked=1): a new search starts, with the focus in it
    picked = "add_pupil" in request.form or "remove_pupil" in request.form or request.args.get("picked") == "1"
    text = "" if picked else request.values.get("q", "").strip()[:80]
    recent = recent_pupils(current_user)
    allowed = chat_pupils(current_user) if target == "chat" else conversation_pupils(current_user)
    found = recent_first(search_pupils(allowed, text, limit=12), recent) if text else recent
    taken = {p.id for p in chosen}
    carry = {"kind": "conference"} if target == "conference" else {}
    follows, after = followed_agreement(), followed_mediation()
    if follows is not None and target != "chat":
        carry["follows"] = follows.id
    if after is not None and target != "chat":
        carry["follows_mediation"] = after.id
    if picking() and htmx:  # the address bar follows the pupils, as after a pick link: reloaded, it shows them
        address = url_for(PICK_TARGETS[target], pupil_id=[p.id for p in chosen], **carry)
        replace_address(address)
    return {"chosen": chosen, "q": text, "target": target, "results": [p for p in found if p.id not in taken],
            "recent": not text, "carry": carry, "picked": picked,
            "also": {name: value for name, value in carry.items() if name != "kind"},
            # each said only while one of its pupils is chosen (kept in carry, should one be picked again)
            "follows": follows if follows is not None and agreement_followed_with(follows, chosen) else None,
            "follows_mediation": after if after is not None and follows_up_with(after, chosen) else None,
            "record_form": RECORD_FORMS[target] if form_shown else None}


def readable_or_404(record, school_id: int, pupils, author_id: int | None):
    if not may_read(current_user, school_id, pupils, author_id):
        abort(404)
    return record


# Quick chats

@bp.route("/chats/new", methods=["GET", "POST"])
@staff_required(*ANY_STAFF)
def chat_new():
    school_id = current_user.school_id
    form = ChatForm().set_chips(chips_for(school_id, "what"), chips_for(school_id, "where"),
                                chips_for(school_id, "agreed"))
    if not form.is_submitted():  # the chat's own id: Save tapped twice, or resent on poor Wi-Fi, stores it once
        form.client_uuid.data = str(uuid4())
    if not picking() and form.validate_on_submit():
        try:
            pupils = choose_pupils(chat_pupils(current_user), form.pupil_id.data or [])
            chat_id = new_chat_id(school_id, form.client_uuid.data, pupils, form.what.data, form.where.data,
                                  form.agreed.data, form.note.data)
            chat = record_quick_chat(school_id, current_user, pupils, form.what.data, form.where.data,
                                     agreed=form.agreed.data, note=form.note.data, client_uuid=chat_id)
        except ChatError as exc:
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            names = ", ".join(p.short_name for p in chat.pupils)
            flash(f"Chat saved: {chat.what}, {chat.where} – {names}{'' if names.endswith('.') else '.'}")
            return redirect(url_for("conversations.chat_new"))
    offline = url_for("sync.capture") if "sync.capture" in current_app.view_functions else None
    refused = 200 if htmx else 400  # Save is sent by htmx, which swaps in only a 2xx answer
    return render_template("conversations/chat_new.html", form=form, questions=questions_for(school_id, "caused_harm"),
                           mine=todays_chats_by(current_user, school_today()), offline_url=offline,
                           **picker("chat", bool(chosen_ids()) or form.is_submitted())), \
        refused if form.errors or form.form_errors else 200


@bp.route("/pick-pupils")
@staff_required(*ANY_STAFF)
def pupil_choices():
    target = request.args.get("for", "chat")
    if target not in PICK_TARGETS:
        abort(404)
    return render_template("conversations/_pupil_choices.html", **picker(target))


@bp.route("/chats/<int:chat_id>")
@staff_required(*ANY_STAFF)
def chat(chat_id: int):
    found = get_scoped_or_404(QuickChat, chat_id)
    readable_or_404(found, found.school_id, found.pupils, found.staff_id)
    return render_template("conversations/chat.html", chat=found)


@bp.route("/lunchtime")
@staff_required("teacher")
def lunchtime():
    try:
        day = date.fromisoformat(request.args["day"]) if request.args.get("day") else school_today()
        if not date.min < day < date.max:  # a day either side is shown as a link
            raise ValueError(day)
    except ValueError:
        abort(404)
    chats = list(db.session.scalars(lunchtime_chats(current_user, day)))
    return render_template("conversations/lunchtime.html", chats=chats, day=day, today=school_today(),
                           previous_day=day - timedelta(days=1), next_day=day + timedelta(days=1))


def save_each_field(form, names, save, error_type) -> bool:
    """Save every named field's text with ``save(name, text)``, putting each field's own problem
    beside it (so an admin sees all of them at once); True when nothing was refused."""
    for name in names:
        field = getattr(form, name)
        try:
            save(name, field.data or "")
        except error_type as exc:
            field.errors = [*field.errors, str(exc)][:1]
    return not form.errors


@bp.route("/admin/chat-chips", methods=["GET", "POST"])
@staff_required("admin")
def chip_settings():
    school_id = current_user.school_id
    form = ChipsForm(data=None if request.method == "POST" else
                     {kind: "\n".join(chips_for(school_id, kind)) for kind in ("what", "where", "agreed")})
    if form.is_submitted() and (form.validate() or "csrf_token" not in form.errors):
        if save_each_field(form, ("what", "where", "agreed"), lambda kind, text: set_chips(school_id, kind, text),
                           ChatError):
            db.session.commit()
            flash("The chat chips have been saved.")
            return redirect(url_for("conversations.chip_settings"))
        db.session.rollback()
    return render_template("conversations/chip_settings.html", form=form), 400 if form.errors else 200


@bp.route("/admin/questions", methods=["GET", "POST"])
@staff_required("admin")
def question_settings():
    school_id = current_user.school_id
    form = QuestionsForm(data=None if request.method == "POST" else
                         {a: "\n".join(questions_for(school_id, a)) for a in QUESTION_AUDIENCES})
    if form.is_submitted() and (form.validate() or "csrf_token" not in form.errors):
        if save_each_field(form, QUESTION_AUDIENCES, lambda audience, text: set_questions(school_id, audience, text),
                           ConversationError):
            db.session.commit()
            flash("The restorative questions have been saved.")
            return redirect(url_for("conversations.question_settings"))
        db.session.rollback()
    return render_template("conversations/question_settings.html", form=form, wording=WordingForm(),
                           wordings=WORDING_LABELS), 400 if form.errors else 200


@bp.app_template_global()
def replacing_wording(wording: str) -> Question:
    """Use our wording's question (the questions page, and the page asking when it came unasked)."""
    label = WORDING_LABELS[wording].lower()
    return Question(f"Replace all the questions with the {label} wording?", "", f"Use {label} wording",
                    "No, go back to the questions")


@bp.route("/admin/questions/wording", methods=["POST"])
@staff_required("admin")
def question_wording():
    """Replace every question with our primary or secondary wording (asked first)."""
    form = WordingForm()
    if not form.validate_on_submit() or form.wording.data not in WORDING_LABELS:
        abort(400)
    if not was_asked():
        return ask(replacing_wording(form.wording.data), url_for("conversations.question_settings"))
    try:
        use_wording(current_user.school_id, form.wording.data)
    except ConversationError:
        abort(400)
    db.session.commit()
    flash(f"The questions now use the {WORDING_LABELS[form.wording.data].lower()} wording.")
    return redirect(url_for("conversations.question_settings"))


# Restorative conversations and conferences

def people_from(form_data, pupils: list[Pupil]) -> tuple[list[tuple[Pupil, str]], list[tuple[str, str]]]:
    """The roles chosen per pupil (``role-<id>``) and the adults named (``adult-name-N``/``adult-role-N``)."""
    roles = [(pupil, form_data.get(f"role-{pupil.id}", "")) for pupil in pupils]
    adults = [(form_data.get(f"adult-name-{n}", ""), form_data.get(f"adult-role-{n}", "")) for n in range(4)]
    return roles, adults


@bp.route("/conversations/new", methods=["GET", "POST"])
@staff_required("admin", "teacher", "pastoral", "dsl")
def start():
    kind = "conference" if request.values.get("kind") == "conference" else "conversation"
    form = StartForm()
    checked = form.is_submitted() and not picking()
    if checked and form.validate_on_submit():
        try:
            pupils = choose_pupils(conversation_pupils(current_user), chosen_ids())
            conversation = start_conversation(current_user.school_id, current_user, kind,
                                              *people_from(request.form, pupils), summary=form.summary.data)
        except (ChatError, ConversationError) as exc:
            form.form_errors.append(str(exc))
        else:
            follows, after = followed_agreement(), followed_mediation()
            if follows is not None or after is not None:
                db.session.flush()
            if follows is not None and agreement_followed_with(follows, pupils):
                record_follow_up(follows, current_user, conversation.id)
            if after is not None and follows_up_with(after, pupils):
                follow_up_mediation(after, current_user, conversation)
            db.session.commit()
            step = "preparation" if kind == "conference" else "questions"
            return redirect(url_for(f"conversations.{step}", conversation_id=conversation.id))
    return render_template("conversations/start.html", form=form, kind=kind, pupil_roles=PUPIL_ROLES,
                           adult_roles=ADULT_ROLES, role_labels=PARTICIPANT_ROLE_LABELS, values=request.form,
                           checked=checked, **picker(kind, bool(chosen_ids()) or form.is_submitted())), \
        400 if form.errors or form.form_errors else 200


def editable_or_404(conversation_id: int) -> Conversation:
    """A conversation the current person may change: whoever runs it, or pastoral/admin/DSL. A step
    posted holds it until saved: a second post at the same moment (a double tap, another tab) waits,
    then finds it as the first left it (finished: 409), instead of finishing it a second time."""
    conversation = (lock_scoped_or_404 if request.method == "POST" else get_scoped_or_404)(Conversation, conversation_id)
    readable_or_404(conversation, conversation.school_id, conversation.pupils, conversation.staff_id)
    if conversation.staff_id != current_user.id and not current_user.has_role(*WHOLE_SCHOOL_READERS):
        abort(403)
    return conversation


def conversation_page(conversation: Conversation, status: int = 200):
    """The record of a conversation or conference, with Carry on leading to the step it is at."""
    made = list(db.session.scalars(agreements_from(conversation.school_id, conversation.kind, conversation.id)))
    return render_template("conversations/conversation.html", conversation=conversation, agreements=made,
                           carry_on=step_reached(conversation)), status


def finished_answer(conversation: Conversation, exc: ConversationFinished):
    flash(str(exc), "error")
    return conversation_page(conversation, 409)


@bp.route("/conversations/<int:conversation_id>/preparation", methods=["GET", "POST"])
@staff_required("admin", "teacher", "pastoral", "dsl")
def preparation(conversation_id: int):
    conversation = editable_or_404(conversation_id)
    if conversation.kind != "conference":
        abort(404)
    form = StepForm()
    if form.validate_on_submit():
        try:
            save_preparation(conversation, {p.id: request.form.get(f"note-{p.id}", "")
                                            for p in conversation.participants})
        except ConversationFinished as exc:
            return finished_answer(conversation, exc)
        except ConversationError as exc:
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            return redirect(url_for("conversations.questions", conversation_id=conversation.id))
    return render_template("conversations/preparation.html", conversation=conversation, form=form,
                           values=request.form), 400 if form.form_errors else 200


@bp.route("/conversations/<int:conversation_id>/questions", methods=["GET", "POST"])
@staff_required("admin", "teacher", "pastoral", "dsl")
def questions(conversation_id: int):
    conversation = editable_or_404(conversation_id)
    asked = {p.id: questions_for_role(conversation.school_id, p.role) for p in conversation.participants}
    form = StepForm()
    status = 200
    if form.validate_on_submit():
        try:
            save_answers(conversation, {pid: [request.form.get(f"answer-{pid}-{i}", "") for i in range(len(qs))]
                                        for pid, qs in asked.items()}, request.form.get("fingerprint"))
        except ConversationFinished as exc:
            return finished_answer(conversation, exc)
        except ConversationError as exc:
            form.form_errors.append(str(exc))
            status = 409 if isinstance(exc, QuestionsChanged) else 400
        else:
            db.session.commit()
            return redirect(url_for("conversations.agreement", conversation_id=conversation.id))
    return render_template("conversations/questions.html", conversation=conversation, form=form, asked=asked,
                           script=SCRIPT, values=request.form, fingerprint=questions_fingerprint(conversation)), status


@bp.route("/conversations/<int:conversation_id>/agreement", methods=["GET", "POST"])
@staff_required("admin", "teacher", "pastoral", "dsl")
def agreement(conversation_id: int):
    conversation = editable_or_404(conversation_id)
    form = FinishForm().set_defaults(school_today(), conference=conversation.kind == "conference")
    form.owners.choices = choices((p.id, p.label) for p in conversation.participants)
    if form.validate_on_submit():
        try:
            made = finish(conversation, current_user, form.what.data, form.owners.data or [],
                          by_when=form.by_when.data, review_on=form.chosen_review_on(), today=school_today(),
                          meeting_notes=form.meeting_notes.data, review_meeting_on=form.review_meeting_on.data)
        except ConversationFinished as exc:
            return finished_answer(conversation, exc)
        except ConversationError as exc:
            show_problems(form, exc.problems, {"parties": "owners"})
        else:
            db.session.commit()
            flash(f"{conversation.kind_label} finished{' with an agreement' if made else ''}.")
            return redirect(url_for("conversations.conversation", conversation_id=conversation.id))
    return render_template("conversations/agreement.html", conversation=conversation,
                           form=form), 400 if form.errors or form.form_errors else 200


@bp.route("/conversations/<int:conversation_id>")
@staff_required(*ANY_STAFF)
def conversation(conversation_id: int):
    found = get_scoped_or_404(Conversation, conversation_id)
    readable_or_404(found, found.school_id, found.pupils, found.staff_id)
    return conversation_page(found)
