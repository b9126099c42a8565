"""Models of the conversations capability."""
