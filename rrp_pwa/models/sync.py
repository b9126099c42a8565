"""Models of the sync capability."""
