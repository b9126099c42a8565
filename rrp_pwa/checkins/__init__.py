"""Check-in scales and the rules for recording a check-in."""
