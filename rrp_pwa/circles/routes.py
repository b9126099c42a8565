from rrp_pwa.circles import bp  # noqa: F401
