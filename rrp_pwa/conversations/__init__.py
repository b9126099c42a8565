"""The repair side: quick chats, restorative conversations and conferences."""
from flask import Blueprint

bp = Blueprint("conversations", __name__)

from rrp_pwa.conversations import routes  # noqa: E402,F401
