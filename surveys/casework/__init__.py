"""Casework: escalation cases, appeals, enterprise problems, revealing a rater, and what the casework pages read."""
