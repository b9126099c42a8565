"""Models of the circles capability."""
