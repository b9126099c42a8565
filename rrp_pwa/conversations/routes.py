from rrp_pwa.conversations import bp  # noqa: F401
