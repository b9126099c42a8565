"""The school overview page, and the low check-ins behind its count."""
from flask import render_template, request
from flask_login import current_user

from rrp_pwa.auth.permissions import staff_required
from rrp_pwa.home.tiles import Tile, add_tiles
from rrp_pwa.insights import bp
from rrp_pwa.insights import rules
from rrp_pwa.mediation.review import LEAD_ROLES
from rrp_pwa.models.agreements import OUTCOME_LABELS
from rrp_pwa.models.mediation import OUTCOME_LABELS as MEDIATION_OUTCOMES
from rrp_pwa.records.access import WHOLE_SCHOOL_READERS

for _role in ("pastoral", "dsl", "admin"):
    add_tiles(_role, Tile("School overview", "Chats, mediations, circles and agreements; pupils who keep "
                                             "coming back.", "insights.overview"))
for _role in ("pastoral", "dsl"):
    add_tiles(_role, Tile("Low check-ins", "Pupils whose check-in was low or red, and whose follow-up each is.",
                          "insights.low_checkins"))


def chosen_period() -> str:
    """The period asked for in the address (``?period=``), else the default."""
    period = request.args.get("period", rules.DEFAULT_PERIOD)
    return period if period in rules.PERIODS else rules.DEFAULT_PERIOD


@bp.get("/overview")
@staff_required(*WHOLE_SCHOOL_READERS)
def overview():
    period, school = chosen_period(), current_user.school
    today = school.today()
    first_day, last_day = rules.period_dates(period, today)
    return render_template("insights/overview.html", data=rules.overview(school, first_day, last_day, today),
                           period=period, periods=rules.PERIODS, repeat_at=rules.REPEAT_AT,
                           review_labels=OUTCOME_LABELS, mediation_labels=MEDIATION_OUTCOMES,
                           mediation_lead=current_user.has_role(*LEAD_ROLES))


@bp.get("/overview/low-checkins")
@staff_required(*WHOLE_SCHOOL_READERS)
def low_checkins():
    period = chosen_period()
    first_day, last_day = rules.period_dates(period, current_user.school.today())
    return render_template("insights/low_checkins.html", low=rules.low_checkins(current_user, first_day, last_day),
                           first_day=first_day, last_day=last_day, period=period, periods=rules.PERIODS,
                           limit=rules.LOW_CHECKIN_LIMIT)
