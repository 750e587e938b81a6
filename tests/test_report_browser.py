"""The HTML report in a real browser: headless Chromium driven by Selenium through the system
chromedriver (no driver download, Selenium Manager's statistics off). Each test writes a
screenshot, and the render times the page measures itself (performance.now() when its script
has drawn), to the artifact directory: $PAGEOWNER_FAST_ARTIFACTS, else tests/artifacts.

Skipped where Chromium or chromedriver is absent (the macOS and Windows CI jobs), unless
PAGEOWNER_FAST_REQUIRE_BROWSER=1 (set by .ci/run where it installed them), which makes a
missing browser a failure."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

pytest.importorskip("jinja2", reason="the report extra (Jinja2) is not installed")

import _independent as ind  # noqa: E402
from _report_inputs import HOSTILE_COMM, HOSTILE_FRAME, HOSTILE_MEMCG, hostile_dump, planted_pair  # noqa: E402
from conftest import DATA  # noqa: E402

import pageowner_fast as pf  # noqa: E402

REAL = DATA / "real_dumps" / "k6.12_page_owner_t1.txt.xz"
CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
CHROMEDRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(os.environ.get("PAGEOWNER_FAST_ARTIFACTS") or Path(__file__).parent / "artifacts")


@pytest.fixture(scope="module")
def driver():
    missing = [name for name, path in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)) if path is None]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium")
    if missing:
        why = f"{' and '.join(missing)} not installed (.ci/run installs them with apt-get)"
        if os.environ.get("PAGEOWNER_FAST_REQUIRE_BROWSER") == "1":
            pytest.fail(why)
        pytest.skip(why)
    os.environ["SE_AVOID_STATS"] = "true"   # Selenium Manager: no statistics sent
    os.environ["SE_OFFLINE"] = "true"       # ... and nothing downloaded
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000",
              "--disable-gpu", "--no-first-run", "--disable-extensions"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield d
    d.quit()


def open_page(d, path: Path) -> float:
    """Load the report; wait until its script says it has drawn; the time it took (ms since
    navigation start, measured in the page)."""
    from selenium.webdriver.support.ui import WebDriverWait
    d.get(path.resolve().as_uri())
    WebDriverWait(d, 60).until(lambda d: d.execute_script("return !!(window.pfReport && window.pfReport.drawnMs)"))
    return float(d.execute_script("return window.pfReport.drawnMs"))


def errors(d) -> list:
    return [e for e in d.get_log("browser") if e["level"] == "SEVERE"]


def screenshot(d, name: str) -> Path:
    height = d.execute_script("return document.documentElement.scrollHeight")
    d.set_window_size(1400, min(max(height, 600), 6000))
    out = ARTIFACTS / f"{name}.png"
    d.save_screenshot(str(out))
    d.set_window_size(1400, 1000)
    return out


def record(name: str, **facts) -> None:
    path = ARTIFACTS / "report_render.json"
    got = json.loads(path.read_text()) if path.exists() else {}
    got[name] = facts
    path.write_text(json.dumps(got, indent=1))


def js(d, script: str, *args):
    return d.execute_script(script, *args)


@pytest.fixture(scope="module")
def real_report(tmp_path_factory):
    path = tmp_path_factory.mktemp("real") / "t1.html"
    pf.report(REAL, output=path)
    return path


def test_real_dump_report_draws_and_names_the_top_stacks(driver, real_report):
    ms = open_page(driver, real_report)
    assert errors(driver) == []
    assert js(driver, "return document.querySelectorAll('#pf-flame svg rect').length") > 20
    top = ind.pages_by_stack(ind.read_text(REAL)).most_common(3)
    rows = js(driver, "return Array.from(document.querySelectorAll('#tbl-stack tbody tr'))"
                      ".slice(0, 3).map(r => [r.cells[1].textContent, r.querySelector('pre').textContent])")
    assert rows == [[f"{pages:,}", "\n".join(frames)] for frames, pages in top]
    shot = screenshot(driver, "report_real_6.12")
    record("real 6.12 t1", render_ms=round(ms, 1), html_bytes=real_report.stat().st_size, screenshot=shot.name)


def test_click_zooms_and_reset(driver, real_report):
    from selenium.webdriver.common.action_chains import ActionChains
    open_page(driver, real_report)
    i = js(driver, """const f = window.pfReport.flames['pf-flame'];
        return f.drawn.findIndex(n => n.depth === 4 && n.v / f.root.v > 0.2 && n.v < f.root.v);""")
    assert i >= 0
    name = js(driver, "return window.pfReport.flames['pf-flame'].drawn[arguments[0]].name", i)
    rect = driver.find_element("css selector", f"#pf-flame g[data-i='{i}'] rect")
    before = float(rect.get_attribute("width"))
    ActionChains(driver).move_to_element(rect).click().perform()
    assert js(driver, "return window.pfReport.flames['pf-flame'].zoom.name") == name
    width = js(driver, "return document.querySelector('#pf-flame svg').viewBox.baseVal.width")
    zoomed = js(driver, """const f = window.pfReport.flames['pf-flame'];
        const j = f.drawn.indexOf(f.zoom);
        return +document.querySelector(`#pf-flame g[data-i='${j}'] rect`).getAttribute('width');""")
    assert zoomed == pytest.approx(width, abs=0.01) and zoomed > before
    tip = js(driver, "return document.getElementById('pf-tip').textContent")
    assert tip.startswith(name + "\npages: ")
    screenshot(driver, "report_real_6.12_zoomed")
    driver.find_element("css selector", "button.reset[data-flame='pf-flame']").click()
    assert js(driver, "return window.pfReport.flames['pf-flame'].zoom.type") == "root"
    assert errors(driver) == []


def test_search_highlights_and_sums_the_matches(driver, real_report):
    open_page(driver, real_report)
    box = driver.find_element("css selector", "input.search[data-flame='pf-flame']")
    box.send_keys("shmem")
    hits = js(driver, "return document.querySelectorAll('#pf-flame g.hit').length")
    assert hits > 0
    fill = js(driver, "return getComputedStyle(document.querySelector('#pf-flame g.hit rect')).fill")
    assert fill == "rgb(216, 27, 208)"   # --match
    stacks = ind.pages_by_stack(ind.read_text(REAL))
    want = sum(p for frames, p in stacks.items() if any("shmem" in f.lower() for f in frames))
    text = js(driver, "return document.querySelector(\".match[data-flame='pf-flame']\").textContent")
    assert f" match: {want:,} pages" in text
    total = sum(stacks.values())
    assert f"{100 * want / total:.2f}% of all" in text
    screenshot(driver, "report_real_6.12_search")
    assert errors(driver) == []


def test_root_switch_groups_by_comm(driver, real_report):
    from selenium.webdriver.support.ui import Select
    open_page(driver, real_report)
    Select(driver.find_element("id", "pf-root")).select_by_value("comm")
    kids = js(driver, "return window.pfReport.flames['pf-flame'].root.kids.map(k => [k.name, k.v])")
    by_comm = ind.pages_by_comm(ind.read_text(REAL))
    assert kids == [[f"comm: {c}", p] for c, p in sorted(by_comm.items(), key=lambda kv: (-kv[1], kv[0]))]
    screenshot(driver, "report_real_6.12_by_comm")
    assert errors(driver) == []


def _append_blocks(text: str, times: int) -> tuple[str, tuple[str, ...], int]:
    """t1 with `times` copies of one block of a mid-sized stack appended: (t2 text, that
    stack's frames, the pages it gains)."""
    stacks = ind.pages_by_stack(text)
    for chunk in text.split("\n\n"):
        got = list(ind.blocks(chunk + "\n"))
        if got and 100 <= stacks[got[0][1]] <= 1000:
            pages, frames = got[0][0], got[0][1]
            return text.rstrip("\n") + "\n\n" + (chunk.strip("\n") + "\n\n") * times, frames, pages * times
    raise AssertionError("no mid-sized stack")   # pragma: no cover


def test_real_pair_what_grew(driver, tmp_path):
    text = ind.read_text(REAL)
    t2, frames, gained = _append_blocks(text, 3000)
    new = tmp_path / "k6.12_page_owner_t2.txt"
    new.write_text(t2)
    out = tmp_path / "pair.html"
    pf.report(new, baseline=REAL, snapshots=[REAL], output=out)
    ms = open_page(driver, out)
    assert errors(driver) == []
    first = js(driver, "const r = document.querySelector('#tbl-grew tbody tr');"
                       "return [r.cells[1].textContent, r.querySelector('pre').textContent]")
    assert first == [f"{gained:+,}", "\n".join(frames)]
    assert js(driver, "return document.querySelectorAll('#pf-diff svg rect').length") > 20
    assert js(driver, "return document.querySelectorAll('#pf-timeline polyline').length") >= 1
    shot = screenshot(driver, "report_real_6.12_pair")
    record("real 6.12 pair (t1 + appended blocks)", render_ms=round(ms, 1), html_bytes=out.stat().st_size,
           screenshot=shot.name)


def test_generated_pair_first_grew_row_is_the_planted_leak(driver, tmp_path):
    old, new, frames = planted_pair(tmp_path)
    out = tmp_path / "gen.html"
    pf.report(new, baseline=old, snapshots=[old], output=out)
    open_page(driver, out)
    assert errors(driver) == []
    first = js(driver, "return document.querySelector('#tbl-grew tbody tr pre').textContent")
    assert first == "\n".join(frames)
    series = js(driver, "return document.querySelector('#pf-timeline .chart-legend li').textContent")
    assert series.endswith("(+900 pages)")
    # hovering the grown frame says by how much it grew
    from selenium.webdriver.common.action_chains import ActionChains
    i = js(driver, """const f = window.pfReport.flames['pf-diff'];
        return f.drawn.findIndex(n => n.type === 'frame' && n.v - n.o === 900 && n.name === arguments[0]);""",
           frames[-1])
    assert i >= 0
    ActionChains(driver).move_to_element(
        driver.find_element("css selector", f"#pf-diff g[data-i='{i}'] rect")).perform()
    assert "change: +900 pages" in js(driver, "return document.getElementById('pf-tip').textContent")
    screenshot(driver, "report_generated_pair")


def test_hostile_strings_show_as_text_and_run_nothing(driver, tmp_path):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.support.ui import Select
    out = tmp_path / "hostile.html"
    pf.report(hostile_dump(tmp_path / "h.txt"), output=out)
    open_page(driver, out)
    for key in ("comm", "memcg", ""):
        Select(driver.find_element("id", "pf-root")).select_by_value(key)
        names = js(driver, """const out = [];
            (function walk(n) { out.push(n.name); n.kids.forEach(walk); })(window.pfReport.flames['pf-flame'].root);
            return out;""")
        if key == "comm":
            assert f"comm: {HOSTILE_COMM}" in names
        if key == "memcg":
            assert f"memcg: {HOSTILE_MEMCG}" in names
    svg_text = js(driver, "return document.querySelector('#pf-flame svg').textContent")
    assert HOSTILE_FRAME in svg_text
    assert js(driver, "return document.querySelector('#tbl-comm tbody tr td:last-child').textContent") == HOSTILE_COMM
    assert js(driver, "return typeof window.pwned") == "undefined"
    assert js(driver, "return document.querySelectorAll('img, iframe, [onerror], [onload]').length") == 0
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text   # noqa: B018
    assert errors(driver) == []
    screenshot(driver, "report_hostile")
