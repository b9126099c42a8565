"""Admin screens for the school record: roster import, API tokens, webhooks, exports; and the APIs."""
from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from rrp_pwa.auth.permissions import staff_required
from rrp_pwa.extensions import db
from rrp_pwa.home.tiles import Tile, add_tiles
from rrp_pwa.sync import bp
from rrp_pwa.sync.forms import RosterConfirmForm, RosterUploadForm
from rrp_pwa.sync.oneroster import OneRosterInvalid, import_roster
from rrp_pwa.sync.uploads import UploadGone, drop_upload, keep_upload, read_upload

add_tiles("admin", Tile("School record sync", "Import the roster from your MIS; send records back to it.",
                        "sync.hub"))
HUB_LINKS: list[Tile] = []


@bp.route("/admin/sync")
@staff_required("admin")
def hub():
    return render_template("sync/hub.html", hub_links=HUB_LINKS)


@bp.route("/admin/sync/roster", methods=["GET", "POST"])
@staff_required("admin")
def roster_upload():
    form = RosterUploadForm()
    if not form.validate_on_submit():
        return render_template("sync/roster_upload.html", form=form), 400 if form.errors else 200
    data = form.package.data.read()
    try:
        plan = import_roster(current_user.school, data, apply=False)
    except OneRosterInvalid as exc:
        return render_template("sync/roster_upload.html", form=form, problems=exc.problems), 400
    finally:
        db.session.rollback()
    upload = keep_upload(current_app.instance_path, current_user.school_id, data)
    return render_template("sync/roster_diff.html", plan=plan, confirm=RosterConfirmForm(upload=upload))


@bp.route("/admin/sync/roster/confirm", methods=["POST"])
@staff_required("admin")
def roster_confirm():
    form = RosterConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("sync.roster_upload"))
    try:
        data = read_upload(current_app.instance_path, current_user.school_id, form.upload.data)
        plan = import_roster(current_user.school, data, apply=True, acting=current_user)
    except (UploadGone, OneRosterInvalid):
        db.session.rollback()
        flash("That package has already been imported or has changed. Upload it again to check it.", "error")
        return redirect(url_for("sync.roster_upload"))
    db.session.commit()
    drop_upload(current_app.instance_path, current_user.school_id, form.upload.data)
    flash(f"Roster imported: {len(plan.changes)} change(s).")
    return redirect(url_for("sync.hub"))
