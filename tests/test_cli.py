"""The command line's contract, command by command: a bad option or usage is one line on
stderr and exit code 1 (as page_owner_sort), never a traceback; --threads on every command
that reads dumps; --help exits 0."""
from __future__ import annotations

import pytest

from conftest import CHILD_ENV, PREFIX, block, run_cli, run_subprocess

from pageowner_fast.cli import COMMANDS   # every command the dispatcher knows: all walked


@pytest.fixture
def dump(tmp_path):
    p = tmp_path / "d.txt"
    p.write_bytes(block(pid=1) + block(pid=2, order=2) + block(pid=3))
    return p


def _bad_calls(dump):
    d = str(dump)
    return [
        ["sort", "--bogus", d, "out.txt"],
        ["sort", "--threads=0", d, "out.txt"],
        ["gen", "--bogus"],
        ["gen", "--era", "1.0"],
        ["gen", "--paths", "0", "-"],      # a value gen itself refuses
        ["stacks", d, "--bogus"],
        ["stacks", d, "--threshold", "-1"],
        ["stacks", d, "--format", "yaml"],
        ["diff", d],                       # no NEW
        ["diff", d, d, "--by", "bogus"],
        ["timeline"],                      # no snapshot
        ["timeline", d, "--plot", "x.gif"],
        ["top", d, "--by", "bogus"],
        ["top", d, "--top", "-1"],
        ["top", d, "--top", "9" * 5000],
        ["top", d, "--threads", "x"],
        ["top", d, "--threads", "65"],
        ["top", d, "--page-size", "8000"],
        ["example", "a", "b"],
        ["example", "--bogus"],
        ["frag"],                          # no input
        ["frag", d, "--page-size", "3"],
        ["report", d, "--bogus"],
        ["report", d, "--baseline"],       # no OLD
        ["fleet"],                         # no subcommand
        ["fleet", "bogus"],
        ["fleet", "top"],                  # no dataset
        ["fleet", "ingest", d],            # no --out
        ["bogus-command"],
        [],
    ]


def test_every_command_is_in_the_walk(dump):
    calls = _bad_calls(dump)
    assert {c[0] for c in calls if c} >= set(COMMANDS)
    assert len(calls) == 30     # the parametrisation below covers them all


@pytest.mark.parametrize("i", range(30))
def test_bad_usage_is_one_line_and_exit_1(dump, tmp_path, monkeypatch, capsys, i):
    monkeypatch.chdir(tmp_path)
    args = _bad_calls(dump)[i]
    rc, out, err = run_cli(args, capsys=capsys)
    assert rc == 1, (args, err)
    assert "Traceback" not in err
    assert err.count("\n") == 1, (args, err)
    if args[:1] != ["sort"]:
        assert err.startswith(PREFIX)
        assert out == ""
    # sort says it in page_owner_sort's words (getopt's start with the program's name; its
    # value errors have no prefix) and prints its usage on stdout where it does
    assert not (tmp_path / "out.txt").exists()


def test_bad_usage_through_a_child_process(dump):
    for args in (["top", dump, "--by", "bogus"], ["timeline"], ["gen", "--bogus"]):
        p = run_subprocess(args, env=CHILD_ENV, timeout=120)
        assert p.returncode == 1, args
        assert p.stderr.count(b"\n") == 1 and b"Traceback" not in p.stderr, p.stderr


@pytest.mark.parametrize("cmd", COMMANDS)
def test_help_exits_0(cmd, capsys):
    rc, out, err = run_cli([cmd, "--help"], capsys=capsys)
    assert rc == 0 and err == "" and "usage" in out.lower()


def test_general_help_and_version(capsys):
    rc, out, err = run_cli(["--help"], capsys=capsys)
    assert rc == 0 and all(c in out for c in COMMANDS)
    rc, out, err = run_cli(["--version"], capsys=capsys)
    assert rc == 0 and out.startswith("pageowner-fast ") and "engine" in out


@pytest.mark.parametrize("args", [
    ["sort", "--threads", "2", "{d}", "{o}"],
    ["sort", "--threads=1", "--cull=pid", "{d}", "{o}"],
    ["top", "{d}", "--threads", "2", "-o", "{o}"],
    ["stacks", "{d}", "--threads", "2", "-o", "{o}"],
    ["diff", "{d}", "{d}", "--threads", "2", "-o", "{o}"],
    ["timeline", "{d}", "{d}", "--threads", "2", "-o", "{o}"],
])
def test_threads_on_every_command_that_reads_dumps(dump, tmp_path, capsys, args):
    out = tmp_path / "o.txt"
    rc, _, err = run_cli([a.format(d=dump, o=out) for a in args], capsys=capsys)
    assert (rc, err) == (0, "")
    assert out.stat().st_size > 0


def test_our_long_options_do_not_shadow_page_owner_sorts_prefixes(dump, tmp_path, capsys):
    """`--t` abbreviates --tgid in page_owner_sort; our --threads must not make it ambiguous."""
    out = tmp_path / "o.txt"
    rc, _, err = run_cli(["sort", "--t=2", "--cull=pid", dump, out], capsys=capsys)
    assert (rc, err) == (0, "")
    assert out.read_bytes() == b"1 times, 4 pages, PID 2, TGID 2\n"
    rc, _, err = run_cli(["sort", "--th=2", "--cull=pid", dump, out], capsys=capsys)
    assert rc == 0 and out.read_bytes().count(b"\n") == 3


def test_sort_starts_its_scan_before_typing_and_the_decompressors(tmp_path):
    """What `sort` imports before its scan starts (cli/_early.py) is time no scan thread
    runs: typing (with re and enum) waits for NumPy, which imports it anyway, and a plain
    dump never loads gzip, lzma or zlib."""
    import subprocess
    import sys
    src = tmp_path / "in.txt"
    src.write_bytes(block() * 30000)            # large enough to be prefetched
    late = ("typing", "re", "gzip", "lzma", "zlib", "numpy")
    code = ("import sys; base = set(sys.modules); from pageowner_fast import _engine; "
            "seen = {}; orig = _engine.prefetch\n"
            "def spy(*a, **k):\n"
            f"    seen['early'] = sorted(m for m in {late!r} if m in sys.modules and m not in base)\n"
            "    return orig(*a, **k)\n"
            "_engine.prefetch = spy\n"
            "from pageowner_fast.cli import main\n"
            f"rc = main(['sort', {str(src)!r}, {str(tmp_path / 'out.txt')!r}])\n"
            "print(rc, seen.get('early'), sorted(m for m in ('gzip', 'lzma', 'zlib') "
            "if m in sys.modules and m not in base))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=CHILD_ENV)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "0 [] []"


def test_a_corrupt_gzip_input_is_one_line_in_a_fresh_process(tmp_path):
    """The decompressors' errors are caught where they are imported only on use."""
    import gzip
    import subprocess
    import sys
    src = tmp_path / "in.txt.gz"
    src.write_bytes(gzip.compress(block() * 2000)[:300])
    p = subprocess.run([sys.executable, "-m", "pageowner_fast", "sort", str(src),
                        str(tmp_path / "out.txt")], capture_output=True, text=True, env=CHILD_ENV)
    assert p.returncode == 2, p.stderr
    assert p.stderr.splitlines() == [p.stderr.splitlines()[0]]
    assert "corrupt or truncated compressed input" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "out.txt").exists()


def test_sort_loads_only_what_it_uses(tmp_path):
    """`sort` to text without --since/--until does not import the JSON/CSV writer, the time
    window (and decimal), tempfile or the analyses: start-up is most of a small dump's run."""
    import subprocess
    import sys
    src = tmp_path / "in.txt"
    src.write_bytes(block())
    code = ("import sys; from pageowner_fast.cli import main; "
            f"rc = main(['sort', {str(src)!r}, {str(tmp_path / 'out.txt')!r}]); "
            "print(rc, sorted(m for m in sys.modules if m in ('tempfile', 'decimal', 'json') "
            "or m.startswith(('pageowner_fast.export', 'pageowner_fast.timewindow', "
            "'pageowner_fast.analysis'))))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=CHILD_ENV)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "0 []"
    assert (tmp_path / "out.txt").read_text().startswith("1 times, ")
