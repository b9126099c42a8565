from rrp_pwa.checkins import bp  # noqa: F401
