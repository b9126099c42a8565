"""Models of the mediation capability."""
