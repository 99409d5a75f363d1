"""Colours that mean the same thing on every chart and page.

Grades differ in lightness as well as hue, so they stay apart when printed in
grey: good is light, fair middle, poor darkest; insufficient is a pale grey
that is always labelled as such, never shown as a score of zero.
"""
from scoring.config import RATING_LEVELS
from scoring.grades import FAIR, GOOD, GRADES, INSUFFICIENT, POOR
GRADE_COLOURS = {
    GOOD: "#a1d99b",
    FAIR: "#fd8d3c",
    POOR: "#a50f15",
    INSUFFICIENT: "#f0f0f0",
}
GRADE_ORDER = list(GRADES)

FLAG_COLOURS = {"red": "#d7301f", "yellow": "#fec44f", "blue": "#2c7fb8"}

# the five answer levels, 5 (very satisfied) light to 1 (very dissatisfied) dark
LEVEL_COLOURS = dict(zip(RATING_LEVELS, ("#c7e9c0", "#74c476", "#fdd0a2", "#f16913", "#7f2704"), strict=True))
