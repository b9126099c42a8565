"""The pupil record page itself is roster.pupil; this package contributes its restorative entries."""
from rrp_pwa.records import bp, sources  # noqa: F401  (sources register themselves on import)
