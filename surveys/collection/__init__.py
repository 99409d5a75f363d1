"""Collecting ratings: questionnaires, rounds and their lifecycle, answers online and on paper, response monitoring."""
