"""Results: finalising a round with the scoring module, the dashboards, the privacy rule, excluded responses."""
