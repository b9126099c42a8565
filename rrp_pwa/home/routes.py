from flask import render_template
from flask_login import current_user

from rrp_pwa.auth.permissions import staff_required
from rrp_pwa.home import bp
from rrp_pwa.home.panels import panels_for
from rrp_pwa.home.tiles import tiles_for


@bp.route("/")
@staff_required()
def index():
    return render_template("home/index.html", tiles=tiles_for(current_user), panels=panels_for(current_user))
