"""The school overview page."""
from flask import render_template, request
from flask_login import current_user

from rrp_pwa.auth.permissions import staff_required
from rrp_pwa.home.tiles import Tile, add_tiles
from rrp_pwa.insights import bp
from rrp_pwa.insights import rules
from rrp_pwa.models.agreements import OUTCOME_LABELS
from rrp_pwa.models.mediation import OUTCOME_LABELS as MEDIATION_OUTCOMES
from rrp_pwa.records.access import WHOLE_SCHOOL_READERS

for _role in ("pastoral", "dsl", "admin"):
    add_tiles(_role, Tile("School overview", "Chats, mediations, circles and agreements; pupils who keep "
                                             "coming back.", "insights.overview"))


@bp.get("/overview")
@staff_required(*WHOLE_SCHOOL_READERS)
def overview():
    period = request.args.get("period", rules.DEFAULT_PERIOD)
    if period not in rules.PERIODS:
        period = rules.DEFAULT_PERIOD
    school = current_user.school
    today = school.today()
    first_day, last_day = rules.period_dates(period, today)
    return render_template("insights/overview.html", data=rules.overview(school, first_day, last_day, today),
                           period=period, periods=rules.PERIODS, repeat_at=rules.REPEAT_AT,
                           review_labels=OUTCOME_LABELS, mediation_labels=MEDIATION_OUTCOMES)
