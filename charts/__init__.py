"""Charts: pure functions, data in, ``alt.Chart`` out (no Streamlit, no database).

Used by the pages and by the printed bulletin, so a grade has the same colour everywhere.
"""
from charts.agency import item_heatmap, level_bars, score_trend
from charts.common import to_png, to_svg
from charts.county import PICK, grade_heatmap, grade_slope, ranking_bars, response_rate_bars

__all__ = ["PICK", "grade_heatmap", "grade_slope", "item_heatmap", "level_bars", "ranking_bars", "response_rate_bars",
           "score_trend", "to_png", "to_svg"]
