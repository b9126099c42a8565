"""Admins edit the school's question bank for circle rounds."""
from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from rrp_pwa.asking import Question, ask, was_asked
from rrp_pwa.auth.permissions import staff_required
from rrp_pwa.circles import bp
from rrp_pwa.circles.forms import PromptForm, RemovePromptForm
from rrp_pwa.circles.question_bank import add_prompt, bank, remove_prompt
from rrp_pwa.circles.talking_piece import CircleError
from rrp_pwa.extensions import db
from rrp_pwa.home.tiles import Tile, add_tiles

add_tiles("admin", Tile("Circle questions", "The question bank for circle rounds, primary and secondary.",
                        "circles.questions"))


@bp.route("/circles/questions", methods=["GET", "POST"])
@staff_required("admin")
def questions():
    form = PromptForm()
    if form.validate_on_submit():
        try:
            add_prompt(current_user.school_id, form.stage.data, form.text.data)
        except CircleError as exc:
            form.text.errors.append(str(exc))
        else:
            db.session.commit()
            flash("The question is in the bank.")
            return redirect(url_for("circles.questions"))
    return render_template("circles/questions.html", form=form, prompts=bank(current_user.school_id)), \
        400 if form.errors else 200


@bp.app_template_global()
def removing_prompt(text: str) -> Question:
    """Remove's question (the question bank, and the page asking when it came unasked): which question, in its words."""
    return Question("Take this question out of the bank?", f"“{text}”", "Remove the question",
                    "No, go back to the question bank")


@bp.route("/circles/questions/remove", methods=["POST"])
@staff_required("admin")
def question_remove():
    """Take a question out of the bank (asked first)."""
    form = RemovePromptForm()
    if form.validate_on_submit():
        in_bank = any(prompt.text == form.text.data for prompt in bank(current_user.school_id))
        if in_bank and not was_asked():  # (one already taken out is not asked about again)
            return ask(removing_prompt(form.text.data), url_for("circles.questions"))
        remove_prompt(current_user.school_id, form.text.data)
        db.session.commit()
        flash("The question has been taken out of the bank.")
    return redirect(url_for("circles.questions"))
