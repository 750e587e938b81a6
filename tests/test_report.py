"""The HTML report without a browser: what the page holds (self-contained, escaped, totals
equal to an independent count of the dump's text), the data behind it, the command line.
tests/test_report_browser.py opens it in Chromium."""
from __future__ import annotations

import base64
import hashlib
import json
import re
import sys
from html.parser import HTMLParser

import pytest

pytest.importorskip("jinja2", reason="the report extra (Jinja2) is not installed")

import _independent as ind  # noqa: E402
from _report_inputs import HOSTILE, hostile_dump, planted_pair  # noqa: E402
from conftest import DATA, PREFIX, run_cli  # noqa: E402

import pageowner_fast as pf  # noqa: E402
from pageowner_fast.htmlreport import data  # noqa: E402
from pageowner_fast.htmlreport.facts import kernel_era  # noqa: E402
from pageowner_fast.htmlreport.page import embed_json  # noqa: E402

REAL = DATA / "real_dumps" / "k6.12_page_owner_t1.txt.xz"
REAL_61 = DATA / "real_dumps" / "k6.1_page_owner_t1.txt.xz"
SHOW_STACKS = DATA / "real_dumps" / "k6.12_show_stacks_t1.txt.xz"


class Page(HTMLParser):
    """Tags, attributes, text and the inline scripts of a page."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.scripts: list[tuple[dict, str]] = []
        self._in: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "script":
            self._in = a

    def handle_endtag(self, tag):
        if tag == "script":
            self._in = None

    def handle_data(self, d):
        if self._in is not None:
            self.scripts.append((self._in, d))
        else:
            self.text.append(d)

    def payload(self) -> dict:
        (blob,) = [d for a, d in self.scripts if a.get("type") == "application/json"]
        return json.loads(blob)


@pytest.fixture(scope="module")
def real():
    html = pf.report(REAL)
    return html, Page(html), ind.read_text(REAL)


def test_self_contained(real):
    html, page, _ = real
    assert len(html.encode()) < 6 << 20
    names = {t for t, _ in page.tags}
    assert not names & {"link", "img", "iframe", "object", "embed", "base", "form"}
    for tag, a in page.tags:
        assert "src" not in a, tag
        assert a.get("href", "#").startswith("#"), (tag, a)
        assert not any(k.startswith("on") for k in a), (tag, a)
    csp = [a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and csp[0].startswith("default-src 'none'; script-src 'sha256-")
    (script,) = [d for a, d in page.scripts if "type" not in a]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp[0]


def test_payload_totals_equal_an_independent_count(real):
    _, page, text = real
    d = page.payload()
    nblocks, pages = ind.totals(text)
    assert d["total_pages"] == pages == sum(r[1] for r in d["flame"])
    assert sum(r[2] for r in d["flame"]) == nblocks
    assert set(d["root_keys"]) == {"comm", "module", "allocator", "memcg", "migratetype"}
    for key in d["root_keys"]:
        assert sum(r[2] for r in d["roots"][key]["rows"]) == pages, key
    by_stack = {tuple(d["frames"][f] for f in d["stacks"][r[0]]): r[1] for r in d["flame"]}
    assert by_stack == dict(ind.pages_by_stack(text))
    comm = d["roots"]["comm"]
    got: dict = {}
    for v, _, p, _ in comm["rows"]:
        got[comm["values"][v]] = got.get(comm["values"][v], 0) + p
    assert got == dict(ind.pages_by_comm(text))


def test_tables_name_the_top_stacks_by_their_frames(real):
    html, page, text = real
    top = ind.pages_by_stack(text).most_common(3)
    body = "".join(page.text)
    for frames, pages in top:
        assert "\n".join(frames) in body
        assert f"{pages:,}" in body
    assert "6.10 or later" in body and "101,466" in body and "103,052" in body


def test_hostile_strings_are_text(tmp_path):
    path = hostile_dump(tmp_path / "h.txt")
    html = pf.report(path)
    for s in HOSTILE:
        assert s not in html                    # nowhere as markup
    page = Page(html)
    body = "".join(page.text)
    for s in HOSTILE[:2]:
        assert s in body                        # in the tables, as text
    strings = json.dumps(page.payload())
    for s in HOSTILE:
        assert json.dumps(s)[1:-1] in strings   # in the data, whole
    assert [t for t, a in page.tags if t == "script"] == ["script", "script"]
    assert not [a for t, a in page.tags if t in ("img", "svg", "iframe")]


def test_embed_json_cannot_end_its_block():
    value = {"a": "</script><!--<script>", "b": "x\u2028y\u2029z&amp;", "c": "é"}
    text = embed_json(value)
    assert not re.search(r"[<>&\u2028\u2029]", text) and text.isascii()
    assert json.loads(text) == value


def test_baseline_first_grew_row_is_the_planted_leak(tmp_path):
    old, new, frames = planted_pair(tmp_path)
    page = data.build(new, baseline=old, snapshots=[old])
    first = page["diff"]["rows"][0]
    assert tuple(first["frames"]) == frames and first["delta_pages"] == 900
    assert page["diff"]["grew_count"] == 1 and page["diff"]["shrank_count"] == 0
    assert tuple(page["timeline"]["rows"][0]["frames"]) == frames
    assert page["timeline"]["labels"] == ["old.txt", "new.txt"]
    p = page["payload"]
    assert sum(r[2] for r in p["diff"]["rows"]) - sum(r[1] for r in p["diff"]["rows"]) == 900
    assert [f["role"] for f in page["inputs"]] == ["input", "baseline"]


def test_max_stacks_bounds_the_rows_and_keeps_the_totals(real):
    _, _, text = real
    _, pages = ind.totals(text)
    p = data.build(REAL, max_stacks=10)["payload"]
    assert len(p["flame"]) == 11 and sum(r[1] for r in p["flame"]) == pages
    other = p["frames"][p["stacks"][p["flame"][-1][0]][0]]
    assert re.fullmatch(r"\([\d,]+ smaller stacks\)", other)
    for key in p["root_keys"]:
        assert sum(r[2] for r in p["roots"][key]["rows"]) == pages


def test_show_stacks_input():
    page = data.build(SHOW_STACKS)
    p = page["payload"]
    assert p["root_keys"] == [] and sum(r[1] for r in p["flame"]) == ind.show_stacks_pages(
        ind.read_text(SHOW_STACKS))
    assert all(r[2] is None for r in p["flame"])
    assert [t["key"] for t in page["tables"]] == ["stack"]


@pytest.mark.parametrize("era, want", [("4.6", "4.6 to 5.10"), ("5.11", "5.11 or 5.12"),
                                       ("5.13", "5.13 to 5.17"), ("6.1", "5.18 to 6.6"),
                                       ("6.7", "6.10 or later")])
def test_kernel_era_of_generated_dumps(tmp_path, era, want):
    from pageowner_fast import gen
    path = tmp_path / "d.txt"
    with open(path, "wb") as f:
        gen.generate(f, blocks=200, era=era, seed=1)
    assert kernel_era(pf.load(path)).startswith(want)


def test_kernel_era_of_real_dumps():
    assert kernel_era(pf.load(REAL)).startswith("6.10 or later")
    assert kernel_era(pf.load(REAL_61)).startswith("5.18 to 6.6")


def test_cli_writes_the_page(tmp_path, capsys):
    old, new, frames = planted_pair(tmp_path, blocks=2000, leak=300)
    out = tmp_path / "r.html"
    rc, stdout, err = run_cli(["report", new, "--baseline", old, "--snapshots", old, new, "-o", out,
                               "--title", "t <b>", "--page-size", "16K"], capsys=capsys)
    assert (rc, stdout, err) == (0, "", "")
    html = out.read_text()
    assert "<title>t &lt;b&gt;</title>" in html and 'id="grew"' in html and 'id="timeline"' in html
    assert Page(html).payload()["page_size"] == 16384


@pytest.mark.parametrize("args, says", [
    (["--top", "0"], "report: argument --top"),
    (["--page-size", "3K"], "report: argument --page-size"),
    (["--bogus"], "report: unrecognized arguments"),
])
def test_cli_bad_options_are_one_line(tmp_path, capsys, args, says):
    rc, out, err = run_cli(["report", REAL, "-o", tmp_path / "r.html", *args], capsys=capsys)
    assert rc == 1 and out == "" and err.startswith(PREFIX + "error: " + says) and err.count("\n") == 1
    assert not (tmp_path / "r.html").exists()


def test_cli_missing_input_and_output_over_input(tmp_path, capsys):
    rc, _, err = run_cli(["report", tmp_path / "nope.txt", "-o", tmp_path / "r.html"], capsys=capsys)
    assert rc == 1 and err.startswith(PREFIX + "error: ") and err.count("\n") == 1
    src = tmp_path / "in.txt"
    src.write_bytes(REAL.read_bytes())
    rc, _, err = run_cli(["report", src, "-o", src], capsys=capsys)
    assert rc == 2 and "output is the input file" in err and err.count("\n") == 1


def test_missing_jinja2_is_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "jinja2", None)
    rc, _, err = run_cli(["report", REAL, "-o", tmp_path / "r.html"], capsys=capsys)
    assert rc == 2
    assert err == PREFIX + 'error: the HTML report needs Jinja2: pip install "pageowner-fast[report]"\n'
