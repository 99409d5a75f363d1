"""Who takes part: the agency and enterprise rosters, credit codes, staff accounts and sign-in."""
