from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from rrp_pwa.asking import Question, ask, was_asked
from rrp_pwa.audit import audit, trail
from rrp_pwa.auth.permissions import staff_required
from rrp_pwa.auth.signin import forgive_failed_sign_ins
from rrp_pwa.extensions import db, htmx
from rrp_pwa.forms import choices
from rrp_pwa.models import ROLES, Group, Pupil, Staff
from rrp_pwa.models.roster import ROLE_LABELS
from rrp_pwa.records.actions import pupil_actions
from rrp_pwa.records.timeline import timeline_for
from rrp_pwa.roster import bp
from rrp_pwa.roster.directory import (
    RosterError,
    add_staff,
    give_first_password,
    members_not_offered,
    reset_password,
    roles_taken_away,
    save_group,
    save_pupil,
    search_pupils,
    set_group_members,
    set_staff_active,
    update_staff,
    visible_groups,
    visible_pupils,
)
from rrp_pwa.forms import ConfirmForm
from rrp_pwa.roster.forms import (
    FirstPasswordForm,
    GroupForm,
    MembersForm,
    PASSWORD_HELP,
    RETYPE_PASSWORD,
    NewStaffForm,
    PasswordResetForm,
    PupilForm,
    StaffForm,
)
from rrp_pwa.tenancy import get_scoped_or_404, one_or_404, scoped


@bp.app_template_filter("role_names")
def role_names(roles: set[str]) -> str:
    """Roles as staff say them, in a fixed order: 'Admin, Designated Safeguarding Lead'."""
    return ", ".join(ROLE_LABELS[role] for role in ROLES if role in roles)


def show_error(form, error: RosterError) -> None:
    """Put a broken roster rule beside the field it is about, or above the form."""
    field = getattr(form, error.field, None) if error.field else None
    (field.errors if field is not None else form.form_errors).append(str(error))


def pupil_fields(form: PupilForm) -> dict:
    return {name: form[name].data for name in
            ("given_name", "family_name", "preferred_name", "year_group", "external_id", "peer_mediator")}


def visible_pupil_or_404(pupil_id: int) -> Pupil:
    """A pupil this person may see; anyone else's pupil is a 404, exactly like a missing one."""
    return one_or_404(visible_pupils(current_user).where(Pupil.id == pupil_id))


# Staff (admin only)

@bp.route("/admin/staff")
@staff_required("admin")
def staff_list():
    staff = db.session.scalars(scoped(Staff).order_by(Staff.active.desc(), Staff.name))
    return render_template("roster/staff_list.html", staff=list(staff), confirm=ConfirmForm())


@bp.route("/admin/staff/new", methods=["GET", "POST"])
@staff_required("admin")
def staff_new():
    form = NewStaffForm()
    if form.validate_on_submit():
        try:
            add_staff(current_user.school, form.email.data, form.name.data, form.roles.data, form.password.data,
                      acting=current_user)
        except RosterError as exc:
            show_error(form, exc)
        else:
            db.session.commit()
            flash(f"{form.name.data} has been added.")
            return redirect(url_for("roster.staff_list"))
    if form.errors and form.password.data and not form.password.errors:  # a password is never sent back
        form.password.description = f"{RETYPE_PASSWORD} {PASSWORD_HELP}"
    return render_template("roster/staff_form.html", form=form, title="Add a staff member"), 400 if form.errors else 200


def staff_page(member: Staff, form: StaffForm | None = None, password_form=None, taking_away: list[str] = ()):
    """A member of staff's page: their details, then either the first password (an account the roster
    import made) or a password reset, activation, and who changed their roles. ``password_form`` is
    the password form sent, to show it again with what is wrong; ``taking_away``, the roles the form
    sent would remove, to confirm first."""
    form = form or StaffForm(obj=member, formdata=None)
    password_form = password_form or (PasswordResetForm(formdata=None) if member.has_password
                                      else FirstPasswordForm(formdata=None))
    refused = form.errors or password_form.errors
    return render_template("roster/staff_form.html", form=form, member=member, password_form=password_form,
                           confirm=ConfirmForm(), title=f"Edit {member.name}", taking_away=taking_away,
                           trail=list(db.session.scalars(trail(member.school_id, "staff", member.id)))), \
        400 if refused else 200


@bp.route("/admin/staff/<int:staff_id>", methods=["GET", "POST"])
@staff_required("admin")
def staff_edit(staff_id: int):
    member = get_scoped_or_404(Staff, staff_id)
    form = StaffForm(obj=member)
    if form.validate_on_submit():
        taking_away = [] if form.removal_confirmed.data == "1" else roles_taken_away(member, current_user,
                                                                                     form.roles.data)
        if taking_away:  # nothing saved yet: the same form comes back, asking
            form.removal_confirmed.data = "1"
            return staff_page(member, form, taking_away=taking_away)
        try:
            update_staff(member, current_user, form.name.data, form.email.data, form.roles.data)
        except RosterError as exc:
            show_error(form, exc)
        else:
            db.session.commit()
            flash(f"{member.name}'s details have been saved.")
            return redirect(url_for("roster.staff_list"))
    return staff_page(member, form)


@bp.app_template_global()
def deactivating(member: Staff) -> Question:
    """Deactivate's question (the staff page's form, and the page asking when it came unasked)."""
    return Question(f"Deactivate {member.name}?", "They will be signed out at once.", f"Deactivate {member.name}",
                    f"No, go back to {member.name}")


@bp.route("/admin/staff/<int:staff_id>/active", methods=["POST"])
@staff_required("admin")
def staff_set_active(staff_id: int):
    """Deactivate (asked first) or reactivate a member of staff."""
    member = get_scoped_or_404(Staff, staff_id)
    if member.active and member.id != current_user.id and request.form.get("active") != "1" and not was_asked():
        return ask(deactivating(member), url_for("roster.staff_edit", staff_id=member.id))
    try:
        set_staff_active(member, current_user, request.form.get("active") == "1")
    except RosterError as exc:
        flash(str(exc), "error")
        return redirect(url_for("roster.staff_edit", staff_id=member.id))
    db.session.commit()
    flash(f"{member.name} {'can sign in again' if member.active else 'has been deactivated and signed out'}.")
    return redirect(url_for("roster.staff_list"))


@bp.route("/admin/staff/<int:staff_id>/password", methods=["POST"])
@staff_required("admin")
def staff_reset_password(staff_id: int):
    member = get_scoped_or_404(Staff, staff_id)
    reset = PasswordResetForm()
    if not reset.validate_on_submit():
        return staff_page(member, password_form=reset)
    reset_password(member, reset.password.data)
    audit(current_user, "password_reset", "staff", member.id)  # whoever sets it can sign in as them
    db.session.commit()
    forgive_failed_sign_ins(member.email, current_app.extensions["rrp_throttle"])
    flash(f"{member.name}'s password has been reset and their other sessions signed out.")
    return redirect(url_for("roster.staff_list"))


@bp.route("/admin/staff/<int:staff_id>/first-password", methods=["POST"])
@staff_required("admin")
def staff_first_password(staff_id: int):
    """Someone the roster import added: their first password, and they can sign in."""
    member = get_scoped_or_404(Staff, staff_id)
    first = FirstPasswordForm()
    if not first.validate_on_submit():
        return staff_page(member, password_form=first)
    try:
        give_first_password(member, first.password.data)
    except RosterError as exc:
        flash(str(exc), "error")
        return redirect(url_for("roster.staff_edit", staff_id=member.id))
    audit(current_user, "password_set", "staff", member.id)
    db.session.commit()
    flash(f"{member.name} can now sign in with the password you set. Tell it to them in person; "
          "they can change it under Your account.")
    return redirect(url_for("roster.staff_list"))


# Pupils

@bp.route("/pupils")
@staff_required()
def pupils():
    """The Pupils list, or only its results for the live search. The search puts its address in the
    location bar (hx-replace-url), so htmx asking to restore that address from history gets the page."""
    text = request.args.get("q", "").strip()[:80]
    archived = request.args.get("archived") == "1" and current_user.has_role("admin")
    found = search_pupils(visible_pupils(current_user), text, include_archived=archived, limit=60)
    results_only = htmx and not htmx.boosted and not htmx.history_restore_request
    template = "roster/_pupil_results.html" if results_only else "roster/pupils.html"
    return render_template(template, pupils=found, q=text, archived=archived)


@bp.route("/pupils/<int:pupil_id>")
@staff_required()
def pupil(pupil_id: int):
    found = visible_pupil_or_404(pupil_id)
    return render_template("roster/pupil.html", pupil=found, entries=timeline_for(found, current_user),
                           actions=pupil_actions(found, current_user), confirm=ConfirmForm())


@bp.route("/admin/pupils/new", methods=["GET", "POST"])
@staff_required("admin")
def pupil_new():
    form = PupilForm()
    if form.validate_on_submit():
        try:
            pupil = save_pupil(Pupil(school_id=current_user.school_id, archived=False), **pupil_fields(form))
        except RosterError as exc:
            show_error(form, exc)
        else:
            db.session.commit()
            flash(f"{pupil.display_name} has been added.")
            return redirect(url_for("roster.pupil", pupil_id=pupil.id))
    return render_template("roster/pupil_form.html", form=form, title="Add a pupil"), 400 if form.errors else 200


@bp.route("/admin/pupils/<int:pupil_id>/edit", methods=["GET", "POST"])
@staff_required("admin")
def pupil_edit(pupil_id: int):
    pupil = get_scoped_or_404(Pupil, pupil_id)
    form = PupilForm(obj=pupil)
    if form.validate_on_submit():
        try:
            save_pupil(pupil, **pupil_fields(form))
        except RosterError as exc:
            show_error(form, exc)
        else:
            db.session.commit()
            flash(f"{pupil.display_name}'s details have been saved.")
            return redirect(url_for("roster.pupil", pupil_id=pupil.id))
    return render_template("roster/pupil_form.html", form=form, pupil=pupil,
                           title=f"Edit {pupil.display_name}"), 400 if form.errors else 200


@bp.app_template_global()
def archiving(pupil: Pupil) -> Question:
    """Archive's question (the pupil's page, and the page asking when it came unasked)."""
    return Question(f"Archive {pupil.display_name}?", "They will no longer appear in lists.",
                    f"Archive {pupil.first_name}", f"No, go back to {pupil.display_name}")


@bp.route("/admin/pupils/<int:pupil_id>/archive", methods=["POST"])
@staff_required("admin")
def pupil_archive(pupil_id: int):
    """Archive (asked first) or restore a pupil."""
    pupil = get_scoped_or_404(Pupil, pupil_id)
    if not pupil.archived and request.form.get("archived") == "1" and not was_asked():
        return ask(archiving(pupil), url_for("roster.pupil", pupil_id=pupil.id))
    pupil.archived = request.form.get("archived") == "1"
    db.session.commit()
    flash(f"{pupil.display_name} has been {'archived' if pupil.archived else 'restored'}.")
    return redirect(url_for("roster.pupil", pupil_id=pupil.id))


# Groups

@bp.route("/groups")
@staff_required()
def groups():
    found = db.session.scalars(visible_groups(current_user).where(Group.archived.is_(False)).order_by(Group.name))
    return render_template("roster/groups.html", groups=list(found))


@bp.route("/groups/<int:group_id>")
@staff_required()
def group(group_id: int):
    found = one_or_404(visible_groups(current_user).where(Group.id == group_id))
    return render_template("roster/group.html", group=found)


@bp.route("/admin/groups/new", methods=["GET", "POST"])
@staff_required("admin")
def group_new():
    form = GroupForm()
    if form.validate_on_submit():
        try:
            group = save_group(Group(school_id=current_user.school_id, archived=False),
                               form.name.data, form.kind.data, form.external_id.data)
        except RosterError as exc:
            show_error(form, exc)
        else:
            db.session.commit()
            flash(f"{group.name} has been added. Now choose its members.")
            return redirect(url_for("roster.group_members", group_id=group.id))
    return render_template("roster/group_form.html", form=form, title="Add a group"), 400 if form.errors else 200


@bp.route("/admin/groups/<int:group_id>/edit", methods=["GET", "POST"])
@staff_required("admin")
def group_edit(group_id: int):
    group = get_scoped_or_404(Group, group_id)
    form = GroupForm(obj=group)
    if form.validate_on_submit():
        try:
            save_group(group, form.name.data, form.kind.data, form.external_id.data)
        except RosterError as exc:
            show_error(form, exc)
        else:
            db.session.commit()
            flash(f"{group.name} has been saved.")
            return redirect(url_for("roster.group", group_id=group.id))
    return render_template("roster/group_form.html", form=form, group=group,
                           title=f"Edit {group.name}"), 400 if form.errors else 200


@bp.route("/admin/groups/<int:group_id>/members", methods=["GET", "POST"])
@staff_required("admin")
def group_members(group_id: int):
    group = get_scoped_or_404(Group, group_id)
    all_pupils = list(db.session.scalars(scoped(Pupil).where(Pupil.archived.is_(False))
                                         .order_by(Pupil.year_group, Pupil.given_name, Pupil.family_name)))
    all_staff = list(db.session.scalars(scoped(Staff).where(Staff.active.is_(True)).order_by(Staff.name)))
    form = MembersForm(data=None if request.method == "POST" else
                       {"pupils": [p.id for p in group.pupils], "staff": [s.id for s in group.staff]})
    form.pupils.choices = choices((p.id, p.display_name) for p in all_pupils)
    form.staff.choices = choices((s.id, s.name) for s in all_staff)
    if form.validate_on_submit():
        set_group_members(group, form.pupils.data, form.staff.data)
        db.session.commit()
        flash(f"{group.name} now has {len(group.pupils)} pupils and {len(group.staff)} staff.")
        return redirect(url_for("roster.group", group_id=group.id))
    kept_pupils, kept_staff = members_not_offered(group)
    return render_template("roster/group_members.html", form=form, group=group, pupils=all_pupils,
                           staff=all_staff, kept_pupils=kept_pupils, kept_staff=kept_staff), 400 if form.errors else 200
