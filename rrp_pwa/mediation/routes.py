from rrp_pwa.mediation import bp  # noqa: F401
