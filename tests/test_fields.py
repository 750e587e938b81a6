"""Field extraction on real dumps published by others, against real_corpus/*.expected.json.

Every key of the expected files is checked except `block_type` and `page_flags`: the PFN
line is read for the pfn, the page migratetype and the allocator heuristic only."""
import json

import pytest

import pageowner_fast as pf
from conftest import DATA

CORPUS = DATA / "real_corpus"
FILES = sorted(p for p in CORPUS.glob("*.expected.json")
               if json.loads(p.read_text())[0]["kind"] == "page_owner")
KEYS = ("order", "gfp_mask", "gfp_flags", "pid", "tgid", "comm", "ts_ns", "free_ts_ns", "pfn",
        "page_type", "nr_frames", "first_frame", "last_frame", "modules", "migrate_reason",
        "memcg", "other_lines")


def test_corpus_is_there():
    assert len(FILES) == 12


@pytest.mark.parametrize("path", FILES, ids=[p.name.split(".")[0] for p in FILES])
def test_fields_match_expected(path):
    expected = json.loads(path.read_text())
    d = pf.load(CORPUS / path.name.replace(".expected.json", ".txt"), strip_ts=False)
    assert d.nblocks == len(expected)
    for i, exp in enumerate(expected):
        got = d.describe(i)
        for k in KEYS:
            assert got[k] == exp[k], f"block {i + 1}: {k}: {got[k]!r} != {exp[k]!r}"
