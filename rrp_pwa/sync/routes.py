"""Admin screens for the school record: roster import, API tokens, webhooks, exports; and the APIs."""
import math

from flask import current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from rrp_pwa.agreements.rules import REVIEW_AFTER, REVIEW_IN_WEEKS
from rrp_pwa.asking import Question, ask, was_asked
from rrp_pwa.audit import audit
from rrp_pwa.auth.permissions import staff_required
from rrp_pwa.conversations.chats import chips_for
from rrp_pwa.conversations.restorative import questions_for
from rrp_pwa.extensions import db, htmx
from rrp_pwa.forms import ConfirmForm
from rrp_pwa.home.tiles import Tile, add_tiles
from rrp_pwa.models import Pupil
from rrp_pwa.models.roster import utcnow
from rrp_pwa.models.sync import ApiToken, PendingImport, WebhookDelivery, WebhookEndpoint
from rrp_pwa.sync import bp
from rrp_pwa.sync.api_auth import token_required
from rrp_pwa.records.actions import add_pupil_action
from rrp_pwa.sync.exports import ExportError, pupil_export, pupil_records, school_records, to_csv
from rrp_pwa.sync.feed import BadCursor, event_json, read_feed
from rrp_pwa.sync.ingest import ItemRejected, capture_options, ingest
from rrp_pwa.sync.forms import ExportRangeForm, RosterConfirmForm, RosterUploadForm, TokenForm, WebhookForm
from rrp_pwa.sync.oneroster import OneRosterInvalid, RosterBusy, import_roster
from rrp_pwa.sync.tokens import create_token, revoke_token
from rrp_pwa.sync.uploads import (PENDING_FOR, RosterChanged, UploadExpired, UploadGone, confirm_by, confirm_pending,
                                  forget_pending, forget_waiting, keep_pending, waiting_import)
from rrp_pwa.sync.webhooks import WebhookError, add_endpoint, remove_endpoint
from rrp_pwa.tenancy import get_scoped_or_404, scoped

add_tiles("admin", Tile("School record sync", "Import the roster from your MIS; send records back to it.",
                        "sync.hub"))
HUB_LINKS = [
    Tile("API tokens", "Let your MIS connector read the event feed. Create and revoke tokens.", "sync.tokens"),
    Tile("Webhooks", "Tell your connector the moment a record is made, signed so it can trust it.", "sync.webhooks"),
    Tile("Export records", "Every record between two dates as a spreadsheet (CSV).", "sync.school_export"),
]
for role in ("support", "teacher"):
    add_tiles(role, Tile("Record offline", "Quick chats and check-ins that save even with no signal.", "sync.capture"))
add_tiles("pastoral", Tile("Export records", "Every record between two dates as a spreadsheet (CSV).",
                           "sync.school_export"))
EXPORT_ROLES = ("admin", "pastoral", "dsl")
add_pupil_action("Export this record", "sync.pupil_export_page", roles=EXPORT_ROLES)
PENDING_MINUTES = int(PENDING_FOR.total_seconds() // 60)
PACKAGE_GONE = "That package has already been imported or has changed. Upload it again to check it."
ROSTER_BREAKS_RULES = ("The roster changed after you checked that package, and it can no longer be imported as "
                       "it is: nothing was imported, and the package has been deleted.")
ROSTER_BUSY = ("Another import was changing the roster while you were looking, so nothing was imported. "
               "Wait a minute, then upload the package again to check what it would change now.")
PACKAGE_WAITS_NO_MORE = ("That checked package is no longer waiting: it was imported, cancelled, replaced by a newer "
                         f"check, or checked more than {PENDING_MINUTES} minutes ago. Upload it again to check it.")
PACKAGE_EXPIRED = (f"That check has expired: a checked package is deleted after {PENDING_MINUTES} minutes "
                   "if it is not confirmed. Upload it again to check it.")


@bp.route("/admin/sync")
@staff_required("admin")
def hub():
    return render_template("sync/hub.html", hub_links=HUB_LINKS)


@bp.route("/admin/sync/roster", methods=["GET", "POST"])
@staff_required("admin")
def roster_upload():
    form = RosterUploadForm()
    refused = 200 if htmx else 400  # htmx swaps only 2xx answers; the upload form posts through htmx
    if not form.validate_on_submit():
        return upload_page(form), refused if form.errors else 200
    try:
        return show_diff(form.package.data.read())
    except OneRosterInvalid as exc:
        return upload_page(form, problems=exc.problems), refused


def upload_page(form: RosterUploadForm, **context) -> str:
    """The upload form, and the checked import still waiting for its confirm, if there is one, to go back to."""
    waiting = waiting_import(current_user.school_id)
    back = RosterConfirmForm(formdata=None, upload=waiting.token) if waiting else None
    return render_template("sync/roster_upload.html", form=form, waiting=waiting, back_to_waiting=back,
                           confirm_by=confirm_by(waiting) if waiting else None, **context)


@bp.route("/admin/sync/roster/waiting", methods=["POST"])
@staff_required("admin")
def roster_waiting():
    """Back to the checked import still waiting: its diff against the roster as it is now."""
    form = RosterConfirmForm()
    waiting = waiting_import(current_user.school_id, with_package=True) if form.validate_on_submit() else None
    if waiting is None or waiting.token != form.upload.data:
        flash(PACKAGE_WAITS_NO_MORE, "error")
        return redirect(url_for("sync.roster_upload"))
    return show_diff(waiting.package, waiting=waiting)


def show_diff(data: bytes, roster_changed: bool = False, waiting: PendingImport | None = None):
    """Check the package against the roster as it is now (nothing is written) and show the diff; keep
    the package and the diff's fingerprint for its confirm, in place of any package waiting (which
    is just dropped if this one changes nothing). Going back to the package ``waiting``: the same diff
    keeps its token and its time to confirm; a different one (the roster changed since) is a new check."""
    shown = (waiting.diff_digest, waiting.token, confirm_by(waiting)) if waiting else (None, None, None)
    try:
        plan = import_roster(current_user.school, data, apply=False, acting=current_user)
    finally:
        db.session.rollback()
    if shown[0] is not None and shown[0] == plan.fingerprint():
        upload, until = shown[1:]
    else:
        roster_changed = roster_changed or waiting is not None
        upload, until = None, utcnow() + PENDING_FOR
        if plan.empty:
            forget_waiting(current_user.school_id)
        else:
            upload = keep_pending(current_user.school_id, data, plan.fingerprint())
        db.session.commit()
    confirm = RosterConfirmForm(formdata=None, upload=upload)  # not the token the confirm posted
    minutes = max(1, math.ceil((until - utcnow()).total_seconds() / 60))
    return render_template("sync/roster_diff.html", plan=plan, confirm=confirm, pending_minutes=minutes,
                           roster_changed=roster_changed), 409 if roster_changed else 200


@bp.route("/admin/sync/roster/cancel", methods=["POST"])
@staff_required("admin")
def roster_cancel():
    """Not this package: it is deleted now (it holds a whole roster), and nothing is imported."""
    form = RosterConfirmForm()
    if form.validate_on_submit():
        forget_pending(current_user.school_id, form.upload.data)
        db.session.commit()
        flash("Nothing was imported, and the checked package has been deleted.")
    return redirect(url_for("sync.hub"))


@bp.route("/admin/sync/roster/confirm", methods=["POST"])
@staff_required("admin")
def roster_confirm():
    form = RosterConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("sync.roster_upload"))
    token = form.upload.data
    try:
        try:
            plan = confirm_pending(current_user.school, token, acting=current_user)
        except RosterChanged as changed:
            db.session.rollback()  # nothing imported; the package waits again
            return show_diff(changed.package, roster_changed=True)  # may find it now invalid
        except RosterBusy:  # another import still holds the roster: a diff worked out now would be stale
            db.session.rollback()
            flash(ROSTER_BUSY, "error")
            return upload_page(RosterUploadForm(formdata=None)), 409
    except (UploadGone, OneRosterInvalid) as refusal:
        db.session.rollback()
        forget_pending(current_user.school_id, token)
        db.session.commit()
        if isinstance(refusal, OneRosterInvalid):  # the bytes were checked: the roster changed under them
            flash(ROSTER_BREAKS_RULES, "error")
            return upload_page(RosterUploadForm(formdata=None), problems=refusal.problems), 409
        flash(PACKAGE_EXPIRED if isinstance(refusal, UploadExpired) else PACKAGE_GONE, "error")
        return redirect(url_for("sync.roster_upload"))
    db.session.commit()
    changes = len(plan.changes)
    imported = f"Roster imported: {changes:,} change{'' if changes == 1 else 's'}."
    new_staff = plan.counts().get("staff", {}).get("added", 0)
    if new_staff:  # they can't sign in yet: the Staff screen is where the admin lets each one in
        flash(f"{imported} {new_staff} new member{'s' if new_staff > 1 else ''} of staff "
              f"{'have' if new_staff > 1 else 'has'} no password yet: open each one below and set a first "
              "password to let them sign in.")
        return redirect(url_for("roster.staff_list"))
    flash(imported)
    return redirect(url_for("sync.hub"))


# The event feed and its API tokens

@bp.route("/api/v1/events")
@token_required
def events():
    """The school's events after ``cursor`` (oldest first), at most ``limit`` (1-500, default 100)."""
    try:
        found, cursor, more = read_feed(g.api_school_id, request.args.get("cursor"),
                                  request.args.get("limit", 100, type=int))
    except BadCursor:
        return jsonify(error="bad_cursor", message="Use the next_cursor this feed gave you, or none to start."), 400
    return jsonify(events=[event_json(e) for e in found], next_cursor=str(cursor), has_more=more)


@bp.route("/admin/sync/tokens", methods=["GET", "POST"])
@staff_required("admin")
def tokens():
    form, plain = TokenForm(), None
    if form.validate_on_submit():
        _, plain = create_token(current_user, form.name.data)
        db.session.commit()
        form = TokenForm(formdata=None)
    listed = db.session.scalars(scoped(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc()))
    return render_template("sync/tokens.html", form=form, plain=plain, tokens=list(listed), confirm=ConfirmForm()), \
        400 if form.errors else 200


@bp.app_template_global()
def revoking(token: ApiToken) -> Question:
    """Revoke's question (the tokens page, and the page asking when it came unasked)."""
    return Question(f"Revoke “{token.name}”?", "The connector using it stops at once.", f"Revoke {token.name}",
                    "No, go back to the tokens")


@bp.route("/admin/sync/tokens/<int:token_id>/revoke", methods=["POST"])
@staff_required("admin")
def token_revoke(token_id: int):
    """Revoke a token (asked first)."""
    token = get_scoped_or_404(ApiToken, token_id)
    if token.revoked_at is None and not was_asked():
        return ask(revoking(token), url_for("sync.tokens"))
    if ConfirmForm().validate_on_submit():
        revoke_token(token)
        db.session.commit()
        flash(f"The token “{token.name}” no longer works.")
    return redirect(url_for("sync.tokens"))


# Webhooks

@bp.route("/admin/sync/webhooks", methods=["GET", "POST"])
@staff_required("admin")
def webhooks():
    form, created = WebhookForm(), None
    if form.validate_on_submit():
        try:
            created = add_endpoint(current_user.school_id, form.url.data)
        except WebhookError as exc:
            form.url.errors.append(str(exc))
        else:
            db.session.commit()
            form = WebhookForm(formdata=None)
    endpoints = db.session.scalars(scoped(WebhookEndpoint).order_by(WebhookEndpoint.active.desc(),
                                                                    WebhookEndpoint.created_at.desc()))
    return render_template("sync/webhooks.html", form=form, created=created, endpoints=list(endpoints),
                           confirm=ConfirmForm()), 400 if form.errors else 200


@bp.route("/admin/sync/webhooks/<int:endpoint_id>")
@staff_required("admin")
def webhook_log(endpoint_id: int):
    endpoint = get_scoped_or_404(WebhookEndpoint, endpoint_id)
    deliveries = db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
                                    .order_by(WebhookDelivery.id.desc()).limit(100))
    return render_template("sync/webhook_log.html", endpoint=endpoint, deliveries=list(deliveries),
                           stop_sending=STOP_SENDING, confirm=ConfirmForm())


STOP_SENDING = Question("Stop sending events to this endpoint?", "", "Stop sending to this endpoint",
                        "No, go back to the endpoint")


@bp.route("/admin/sync/webhooks/<int:endpoint_id>/remove", methods=["POST"])
@staff_required("admin")
def webhook_remove(endpoint_id: int):
    """Stop sending to an endpoint (asked first)."""
    endpoint = get_scoped_or_404(WebhookEndpoint, endpoint_id)
    if endpoint.active and not was_asked():
        return ask(STOP_SENDING, url_for("sync.webhook_log", endpoint_id=endpoint.id))
    if ConfirmForm().validate_on_submit():
        remove_endpoint(endpoint)
        db.session.commit()
        flash(f"Events are no longer sent to {endpoint.url}.")
    return redirect(url_for("sync.webhooks"))


# Exports

@bp.route("/pupils/<int:pupil_id>/export")
@staff_required(*EXPORT_ROLES)
def pupil_export_page(pupil_id: int):
    return render_template("sync/pupil_export.html", pupil=get_scoped_or_404(Pupil, pupil_id))


def exported_pupil(pupil_id: int) -> Pupil:
    """The pupil whose whole record is being exported; who exported it, and when, is kept (audit)."""
    pupil = get_scoped_or_404(Pupil, pupil_id)
    audit(current_user, "exported", "pupil", pupil.id)
    db.session.commit()
    return pupil


@bp.route("/pupils/<int:pupil_id>/export.json")
@staff_required(*EXPORT_ROLES)
def pupil_export_json(pupil_id: int):
    pupil = exported_pupil(pupil_id)
    response = jsonify(pupil_export(pupil))
    response.headers["Content-Disposition"] = f'attachment; filename="pupil-{pupil.id}-record.json"'
    return no_store(response)


@bp.route("/pupils/<int:pupil_id>/export.csv")
@staff_required(*EXPORT_ROLES)
def pupil_export_csv(pupil_id: int):
    pupil = exported_pupil(pupil_id)
    return csv_download(to_csv(pupil_records(pupil), pupil), f"pupil-{pupil.id}-record.csv")


@bp.route("/admin/sync/export")
@staff_required("admin", "pastoral")
def school_export():
    form = ExportRangeForm(request.args)
    if not request.args or not form.validate():
        return render_template("sync/school_export.html", form=form), 400 if request.args else 200
    try:
        records = school_records(current_user.school, form.start.data, form.end.data)
    except ExportError as exc:
        form.end.errors.append(str(exc))
        return render_template("sync/school_export.html", form=form), 400
    audit(current_user, "exported", "school", current_user.school_id,
          f"every record from {form.start.data} to {form.end.data}")  # every pupil's, as one pupil's is kept
    db.session.commit()
    return csv_download(to_csv(records), f"records-{form.start.data}-to-{form.end.data}.csv")


def csv_download(body: str, filename: str):
    response = current_app.response_class("\ufeff" + body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return no_store(response)


def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


# Offline capture

@bp.route("/capture")
@staff_required()
def capture():
    """The page that makes quick chats and check-ins with or without a connection. It carries the
    school's restorative questions (the chat's prompt, as on Log a chat) and no pupil data, so the
    service worker may keep it for the playground. The chat's chips are in the page too: filled in
    only by the page's script, they pushed the form down as it loaded (Lighthouse: layout shift 0.34).
    A typed-up mediation asks "When will we check it is working?" as the mediators' tablet does."""
    chips = {kind: chips_for(current_user.school_id, kind) for kind in ("what", "where", "agreed")}
    return render_template("sync/capture.html", questions=questions_for(current_user.school_id, "caused_harm"),
                           chips=chips, review_weeks=REVIEW_IN_WEEKS, default_weeks=REVIEW_AFTER.days // 7)


@bp.route("/api/v1/capture")
@staff_required()
def capture_data():
    """Pupils this person may see (ids and names only), chips and the check-in scale, for offline use."""
    response = jsonify({**capture_options(current_user), "csrf_token": generate_csrf()})
    return no_store(response)


@bp.route("/api/v1/sync", methods=["POST"])
@staff_required()
def sync_outbox():
    """A batch from a device's outbox: each item answered created, duplicate or rejected + reason."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        body = {}
    try:
        results = ingest(current_user, body.get("items"), body.get("sent_at"))
    except ItemRejected as exc:
        return jsonify(error="bad_batch", message=str(exc)), 400
    db.session.commit()
    return jsonify(results=[r.as_json() for r in results])
