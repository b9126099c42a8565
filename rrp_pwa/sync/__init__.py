"""Offline sync, OneRoster roster import, the event feed, webhooks and exports."""
from flask import Blueprint

# cli_group=None: the commands are `flask import-oneroster` and `flask deliver-webhooks`.
bp = Blueprint("sync", __name__, cli_group=None)

from rrp_pwa.sync import cli, feed, records, routes, uploads  # noqa: E402

feed.install()
records.register_all()
# Roster packages an older release kept on this machine's disk (each a whole roster) go at start-up.
bp.record_once(lambda state: uploads.remove_instance_uploads(state.app.instance_path))
