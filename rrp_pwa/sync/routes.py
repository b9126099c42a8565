from rrp_pwa.sync import bp  # noqa: F401
