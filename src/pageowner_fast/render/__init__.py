"""Rendering of analysis results: text tables (`text`), JSON and CSV (`data`), a matplotlib
plot (`plot`). Each renderer yields the output's bytes or str pieces; writing them is the
caller's (the command line's)."""
