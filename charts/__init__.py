"""Charts: pure functions, data in, ``alt.Chart`` out (no Streamlit, no database).

Used by the pages and by the printed bulletin, so a grade has the same colour everywhere.
"""
