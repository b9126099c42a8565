from rrp_pwa.safeguarding import bp  # noqa: F401
