"""The pure-Python engine's linear-time patterns against page_owner_sort's own.

_pyscan matches runs of spaces atomically and finds the comm a line at a time, so that no
line makes Python's backtracking `re` quadratic (issue 16). Those forms must find exactly
what the C tool's patterns (`_pyscan.C_TOOL_PATTERNS`) find: the same match, the same
capture. Short strings made of the patterns' own pieces exercise every way they can meet.
"""
import re

from hypothesis import given, settings, strategies as st

from pageowner_fast import _pyscan

PIECES = [b"ts", b"t", b"s", b"n", b"ns", b" ", b"  ", b"\n", b"\t", b"\r", b"1", b"0", b"42",
          b"free_", b"free_ts", b"tgid", b"(", b")", b"),", b",", b"x", b"\x00", b"\xff"]
text = st.lists(st.sampled_from(PIECES), max_size=40).map(b"".join)
ORIGINAL = {k: re.compile(v) for k, v in _pyscan.C_TOOL_PATTERNS.items()}


def _same_match(ours, theirs, group):
    if ours is None or theirs is None:
        return ours is None and theirs is None
    if ours.span() != theirs.span() or ours.group(group) != theirs.group(1):
        return False
    # an empty capture's position is never used; a non-empty one is cut from the text
    return not theirs.group(1) or ours.span(group) == theirs.span(1)


@settings(max_examples=3000, deadline=None)
@given(t=text)
def test_atomic_ts_patterns_match_the_c_tools(t):
    assert _same_match(_pyscan.TS_RE.search(t), ORIGINAL["ts"].search(t), "v")
    assert _same_match(_pyscan.FREE_TS_RE.search(t), ORIGINAL["free_ts"].search(t), "v")


@settings(max_examples=3000, deadline=None)
@given(t=text)
def test_line_at_a_time_comm_matches_the_c_tools(t):
    m = ORIGINAL["comm"].search(t)
    assert _pyscan.match_comm(t) == (None if m is None else m.span(1))


def test_comm_cases():
    cases = {
        b"tgid 1 (bash), ts 5 ns": b"bash",
        b"tgid 1 (a), ts (b), ts 5": b"a), ts (b",
        b"tgid 1 (x), y\n), ts": None,
        b"tgid 1 (x),\nts": b"x",
        b"tgid 1\n(x), ts": b"x",
        b"tgid (tgid (a), ts": b"tgid (a",
        b"tgid 7 (a)\ntgid 8 (b), ts": b"b",
        b"tgid (" * 1000: None,
    }
    for t, want in cases.items():
        span = _pyscan.match_comm(t)
        assert (None if span is None else t[span[0]:span[1]]) == want, t[:40]
