from rrp_pwa.agreements import bp  # noqa: F401
