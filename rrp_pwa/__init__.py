"""RRP: relational and restorative practice for schools, as a Flask progressive web app."""
import os
from pathlib import Path

from flask import Flask

from rrp_pwa.config import Config, database_url, instance_secret_key
from rrp_pwa.extensions import csrf, db, htmx, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, CLI and error handlers.

    ``INSTANCE_PATH`` (config or environment) moves instance/, where the embedded SQLite
    database and the generated secret key live.
    """
    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get("INSTANCE_PATH") or ROOT / "instance"
    app = Flask(__name__, instance_path=str(instance_path),
                template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    app.config.from_object(Config)
    if config:
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI",
                          database_url(app.config.get("DATABASE_URL"), app.instance_path))

    from rrp_pwa import models, realtime  # noqa: F401  (models: register the tables)
    from rrp_pwa.database import configure_engine, engine_options
    from rrp_pwa.throttle import make_throttle

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config["SQLALCHEMY_DATABASE_URI"],
                                                             app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    app.extensions["rrp_throttle"] = make_throttle(app.config.get("REDIS_URL"))
    realtime.init_app(app)
    with app.app_context():
        configure_engine(db.engine)

    from rrp_pwa import errors, security, sessions
    from rrp_pwa import (agreements, auth, checkins, circles, conversations, home, insights, mediation, pwa, records, roster,
                         safeguarding, sync)
    from rrp_pwa.cli import register_cli
    from rrp_pwa.platform import register_platform_cli

    sessions.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    for capability in (auth, home, pwa, roster, circles, checkins, conversations, mediation, agreements, safeguarding,
                       records, sync, insights):
        app.register_blueprint(capability.bp)
    register_cli(app)
    register_platform_cli(app)
    # pupils' names as one list shows them to pupils, told apart where two look alike
    app.jinja_env.globals["short_names"] = models.roster.short_names
    return app
