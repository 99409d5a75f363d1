"""What every part uses: the county clock and working calendar, who is acting and what they may do, refusals, plain text, the audit record."""
