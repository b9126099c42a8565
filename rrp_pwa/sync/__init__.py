"""Offline sync, OneRoster roster import, the event feed, webhooks and exports."""
from flask import Blueprint

# cli_group=None: the commands are `flask import-oneroster` and `flask deliver-webhooks`.
bp = Blueprint("sync", __name__, cli_group=None)

from rrp_pwa.sync import cli, feed, records, routes  # noqa: E402

feed.install()
records.register_all()
