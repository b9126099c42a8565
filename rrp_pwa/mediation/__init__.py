"""Peer mediation on shared tablets, led by pupil mediators, reviewed by staff."""
import os

from flask import Blueprint

bp = Blueprint("mediation", __name__)

SETTINGS = {  # setting: default; each may be set in the environment or in create_app(config)
    "MEDIATOR_IDLE_MINUTES": 10,
    "MEDIATOR_HELP_IDLE_MINUTES": 60,  # "Get an adult" still works from a tablet idle this long
    "MEDIATOR_ACCOUNT_LIMIT": 5,
    "MEDIATOR_IP_LIMIT": 100,
    "MEDIATOR_WINDOW_SECONDS": 900,
}


@bp.record_once
def configure(state) -> None:
    """Mediator sign-in settings: the app's config wins, then the environment, then the default."""
    for name, default in SETTINGS.items():
        state.app.config.setdefault(name, int(os.environ.get(name, default)))


from rrp_pwa.mediation import review, routes, staff_routes  # noqa: E402,F401  (routes, tiles, timeline source)
