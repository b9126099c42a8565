from rrp_pwa.records import bp  # noqa: F401
