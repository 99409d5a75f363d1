"""Colours that mean the same thing on every chart and page.

Grades differ in lightness as well as hue, so they stay apart when printed in
grey: good is light, fair middle, poor darkest; insufficient is a pale grey
that is always labelled as such, never shown as a score of zero.
"""
GRADE_COLOURS = {
    "good": "#a1d99b",
    "fair": "#fd8d3c",
    "poor": "#a50f15",
    "insufficient": "#f0f0f0",
}
GRADE_ORDER = ["good", "fair", "poor", "insufficient"]

FLAG_COLOURS = {"red": "#d7301f", "yellow": "#fec44f", "blue": "#2c7fb8"}

# the five answer levels, 5 (very satisfied) light to 1 (very dissatisfied) dark
LEVEL_COLOURS = {5: "#c7e9c0", 4: "#74c476", 3: "#fdd0a2", 2: "#f16913", 1: "#7f2704"}
