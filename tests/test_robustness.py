"""Robustness of `pageowner-fast sort` on malformed input and failing files (issue 6).

One test per row of docs/robustness.md. Every case runs the real CLI: in-process through
`pageowner_fast.cli.main` (conftest.run_cli) or, where exit codes, signals or stdin matter, as
`python -m pageowner_fast` in a child (conftest.run_subprocess).

The contract: a clear message prefixed `pageowner-fast:` (one line per problem), a documented
exit code (0 ok; 1 usage/option errors and unopenable input/output, like page_owner_sort;
2 other input/output errors; 130 Ctrl-C), never a traceback, never a partial output file.
"""
from __future__ import annotations

import gzip
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import pageowner_fast
from conftest import CHILD_ENV, PFN, PREFIX, STACK, block, DATA, run_cli, run_subprocess


def good_dump() -> bytes:
    return block() + block(pid=2, ts=200, stack=b" other+0x1/0x2\n") + block(order=2, pid=3, ts=300)


def clean_stderr(err: str) -> list[str]:
    """The stderr lines; each must carry the prefix, and no traceback may appear."""
    assert "Traceback" not in err
    lines = err.splitlines()
    for line in lines:
        assert line.startswith(PREFIX), line
    return lines


def leftovers(d: Path) -> list[str]:
    """Temporary files the atomic writer might have left in `d`."""
    return [p.name for p in d.iterdir() if p.name.endswith(".tmp")]


def sort(tmp_path, data: bytes, *args, capsys, name="in.txt"):
    """Write `data`, run `sort [args] in out`; return (rc, output bytes or None, stderr lines)."""
    src = tmp_path / name
    src.write_bytes(data)
    out = tmp_path / "out.txt"
    rc, stdout, err = run_cli(["sort", *args, src, out], capsys=capsys)
    assert stdout == ""           # nothing on stdout on success (deliberate difference 7)
    assert leftovers(tmp_path) == []
    return rc, (out.read_bytes() if out.exists() else None), clean_stderr(err)


# --- malformed input: exit 0, warnings ----------------------------------------------------------

def test_empty_file(tmp_path, capsys):
    rc, out, err = sort(tmp_path, b"", capsys=capsys)
    assert rc == 0
    assert out == b""
    assert err == [PREFIX + "warning: the input holds no page_owner blocks"]


def test_only_blank_lines(tmp_path, capsys):
    # each blank line is an empty block, an entry of its own (docs/compatibility.md, "Reading blocks"); they merge
    rc, out, err = sort(tmp_path, b"\n\n\n", capsys=capsys)
    assert rc == 0
    assert out == b"3 times, 0 pages, allocated by OTHERS :\n\n"
    assert err == []
    rc, out, err = sort(tmp_path, b"\n\n\n", "-d", capsys=capsys)
    assert any("3 empty block(s)" in line for line in err)


def test_binary_garbage(tmp_path, capsys):
    data = random.Random(6).randbytes(256 * 1024)
    rc, out, err = sort(tmp_path, data, capsys=capsys)
    assert rc == 0
    assert out is not None and len(out) > 0
    assert any("does not look like a page_owner dump" in line for line in err)
    assert any("NUL byte(s)" in line for line in err)
    # the garbage is kept as data: its lines show up again in the output
    for line in data.split(b"\n")[3:10]:
        assert line in out


def test_nul_bytes_inside_a_block(tmp_path, capsys):
    data = block(comm=b"ab\x00cd", stack=b" f\x00oo+0x1/0x2\n") + block(pid=2)
    rc, out, err = sort(tmp_path, data, "--cull=name,st", capsys=capsys)
    assert rc == 0
    assert b"task_comm_name: ab\x00cd:\n f\x00oo+0x1/0x2\n" in out   # kept as data (difference 9)
    assert err == [PREFIX + "warning: 2 NUL byte(s) in the input were kept as data"]


def test_10_mb_line(tmp_path, capsys):
    line = b" " + b"x" * (10 << 20) + b"+0x1/0x2\n"
    rc, out, err = sort(tmp_path, block() + block(pid=2, stack=line) + block(pid=3), capsys=capsys)
    assert rc == 0
    assert err == []
    assert out.count(line) == 1
    assert out.count(b"1 times, 1 pages") == 3


def test_200_kib_block_kept_whole(tmp_path, capsys):
    # page_owner_sort stops silently at a block of >= 128 KiB ; we keep it (difference 2)
    big = b"".join(b" frame_%06d+0x1/0x2\n" % i for i in range(200 * 1024 // 20 + 1))
    assert len(big) > 200 * 1024
    rc, out, err = sort(tmp_path, block(pid=1) + block(pid=2, stack=big) + block(pid=3,
                        stack=b" z+0x1/0x2\n"), "--cull=pid,st", capsys=capsys)
    assert rc == 0 and err == []
    assert b"1 times, 1 pages, PID 2:\n" + big + b"\n" in out
    assert b"PID 3:" in out     # and the blocks after it are read too


def test_truncated_last_block(tmp_path, capsys):
    data = block() + block(pid=2, stack=b" other+0x1/0x2\n") + block(pid=3, end=b"")
    rc, out, err = sort(tmp_path, data, "--cull=pid", capsys=capsys)
    assert rc == 0
    assert out.splitlines() == [b"1 times, 1 pages, PID 1", b"1 times, 1 pages, PID 2",
                                b"1 times, 1 pages, PID 3"]
    assert err == [PREFIX + "warning: the input ends inside a block (no empty line after its "
                   "last block); that block was kept"]
    # even without the last line's newline
    rc, out, err = sort(tmp_path, data[:-1], "--cull=pid", capsys=capsys)
    assert b"PID 3" in out and len(err) == 1


def test_crlf_reads_as_lf(tmp_path, capsys):
    lf = good_dump()
    rc, out_lf, err = sort(tmp_path, lf, capsys=capsys)
    assert rc == 0 and err == []
    rc, out_crlf, err = sort(tmp_path, lf.replace(b"\n", b"\r\n"), capsys=capsys)
    assert rc == 0 and err == []
    assert out_crlf == out_lf and b"\r" not in out_crlf
    rc, _, err = sort(tmp_path, lf.replace(b"\n", b"\r\n"), "-d", capsys=capsys)
    assert any("CRLF line ends were read as LF" in line for line in err)


def test_header_with_every_field_missing(tmp_path, capsys):
    data = b"Page allocated via\n" + PFN + STACK + b"\n" + block()
    rc, out, err = sort(tmp_path, data, "--cull=pid,name,st", capsys=capsys)
    assert rc == 0
    # page_owner_sort's missing values: pid -1, comm "", 0 pages (docs/compatibility.md, "Missing fields")
    assert b"1 times, 0 pages, PID -1, task_comm_name: :\n" in out
    want = {f"{PREFIX}warning: 1 of 2 blocks had no {f} field (-d lists them)"
            for f in ("order", "pid", "tgid", "comm", "ts", "gfp mask")}
    assert set(err) == want and len(err) == len(want)


def test_non_utf8_bytes_in_comm(tmp_path, capsys):
    data = block(comm=b"\xff\xfe\x80bad") + block(pid=2)
    rc, out, err = sort(tmp_path, data, "--cull=name", capsys=capsys)
    assert rc == 0 and err == []
    assert b"task_comm_name: \xff\xfe\x80bad\n" in out


def test_comm_that_looks_like_a_ts_field(tmp_path, capsys):
    # leftmost match: the comm's "ts 7 ns" is the block's ts, and its 7 is the one stripped
    data = block(comm=b"x), ts 7 ns, y", ts=999) + block()
    rc, out, err = sort(tmp_path, data, capsys=capsys)
    assert rc == 0 and err == []
    # observed from /opt/pos/page_owner_sort (latest) on the same input:
    assert out == (b"1 times, 1 pages, allocated by OTHERS :\n"
                   b"Page allocated via order 0, mask 0x112cca(GFP_HIGHUSER_MOVABLE), pid 1, tgid 1"
                   b" (bash), ts  ns\n" + STACK + b"\n"
                   b"1 times, 1 pages, allocated by OTHERS :\n"
                   b"Page allocated via order 0, mask 0x112cca(GFP_HIGHUSER_MOVABLE), pid 1, tgid 1"
                   b" (x), ts  ns, y), ts 999 ns\n" + STACK + b"\n")
    rc, out, err = sort(tmp_path, data, "--cull=name", capsys=capsys)
    assert b"task_comm_name: x), ts 7 ns, y\n" in out


def test_show_stacks_file_fed_to_sort(tmp_path, capsys):
    # page_owner_sort (v6.7+) takes each record as a block whose first frame is the "header"
    rec1 = b" post_alloc_hook+0x177/0x1a0\n get_page_from_freelist+0xd01/0xd80\nnr_base_pages: 20824\n"
    rec2 = b" post_alloc_hook+0x177/0x1a0\n alloc_pages_mpol+0x22e/0x490\nnr_base_pages: 7\n"
    rc, out, err = sort(tmp_path, rec1 + b"\n" + rec2 + b"\n" + rec1 + b"\n", capsys=capsys)
    assert rc == 0
    assert out == (b"2 times, 0 pages, allocated by OTHERS :\n" + rec1 + b"\n"
                   b"1 times, 0 pages, allocated by OTHERS :\n" + rec2 + b"\n")
    assert err == [PREFIX + "warning: this looks like a page_owner_stacks/show_stacks file, not a "
                   "page_owner dump: each record was sorted as a block without fields (0 pages), as"
                   " page_owner_sort does; `pageowner-fast stacks` reads it properly"]
    real = DATA / "real_corpus" / "mm2024_osalvador_show_stacks_doc.txt"
    rc, out, err = sort(tmp_path, real.read_bytes(), capsys=capsys)
    assert rc == 0 and len(err) == 1 and "show_stacks" in err[0]


def test_malformed_blocks_counted(tmp_path, capsys):
    bad_order = (b"Page allocated via order X, mask 0x0(), pid 1, tgid 1 (a), ts 5 ns\n" + PFN +
                 STACK + b"\n")
    data = block() + bad_order + block(order=63, pid=2) + block(pid=3)
    rc, out, err = sort(tmp_path, data, capsys=capsys)
    assert rc == 0
    # free_ts is absent from every block (a v6.7+ dump): the era's, not a defect -> not said
    assert err == [PREFIX + "warning: 1 of 4 blocks had no order field (-d lists them)",
                   PREFIX + "warning: 1 of 4 blocks had an order above 62 (counted as 0 pages) "
                   "(-d lists them)"]


def test_malformed_blocks_listed_with_d(tmp_path, capsys):
    bad = b"Page allocated via order X, mask 0x0(), tgid 1 (a), ts 5 ns\n" + STACK + b"\n"
    data = block() + bad + block(pid=3)
    rc, out, err = sort(tmp_path, data, "-d", capsys=capsys)
    assert rc == 0
    assert err == [
        # the era's absent field, said once
        PREFIX + "note: no block has free_ts (the dump's kernel does not print them); such fields "
                 "take page_owner_sort's missing values",
        PREFIX + "warning: 1 of 3 blocks had no order field",
        PREFIX + "warning: 1 of 3 blocks had no pid field",
        # -d: one line per failed field (not the whole block, as page_owner_sort -d prints)
        PREFIX + "block 2 (line 6): no order field",
        PREFIX + "block 2 (line 6): no pid field",
        PREFIX + "block 2 (line 6): no PFN line (its allocator comes from the previous PFN line, "
                 "as in page_owner_sort)",
    ]


# --- unopenable files: exit 1, like page_owner_sort -------------------------------------------

def test_nonexistent_input(tmp_path, capsys):
    out = tmp_path / "out.txt"
    rc, stdout, err = run_cli(["sort", tmp_path / "nope.txt", out], capsys=capsys)
    assert rc == 1
    assert clean_stderr(err) == [f"{PREFIX}error: {tmp_path / 'nope.txt'}: no such file"]
    assert not out.exists() and leftovers(tmp_path) == []


def test_existing_output_kept_when_input_missing(tmp_path, capsys):
    # page_owner_sort truncates its output before it finds the input missing; we don't
    out = tmp_path / "out.txt"
    out.write_bytes(b"previous results\n")
    rc, _, err = run_cli(["sort", tmp_path / "nope.txt", out], capsys=capsys)
    assert rc == 1 and out.read_bytes() == b"previous results\n"


def test_directory_as_input(tmp_path, capsys):
    d = tmp_path / "adir"
    d.mkdir()
    rc, _, err = run_cli(["sort", d, tmp_path / "out.txt"], capsys=capsys)
    assert rc == 1
    assert clean_stderr(err) == [f"{PREFIX}error: {d}: is a directory"]
    assert not (tmp_path / "out.txt").exists()


def test_directory_as_output(tmp_path, capsys):
    (tmp_path / "in.txt").write_bytes(good_dump())
    rc, _, err = run_cli(["sort", tmp_path / "in.txt", tmp_path], capsys=capsys)
    assert rc == 1
    assert clean_stderr(err) == [f"{PREFIX}error: {tmp_path}: is a directory"]


def test_missing_output_directory(tmp_path, capsys):
    (tmp_path / "in.txt").write_bytes(good_dump())
    out = tmp_path / "no" / "such" / "out.txt"
    rc, _, err = run_cli(["sort", tmp_path / "in.txt", out], capsys=capsys)
    assert rc == 1
    assert clean_stderr(err) == [f"{PREFIX}error: {out}: directory {out.parent} does not exist"]


# --- other input/output errors: exit 2 --------------------------------------------------------

@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_output_to_dev_full(tmp_path, capsys):
    (tmp_path / "in.txt").write_bytes(good_dump())
    rc, _, err = run_cli(["sort", tmp_path / "in.txt", "/dev/full"], capsys=capsys)
    assert rc == 2
    assert clean_stderr(err) == [f"{PREFIX}error: /dev/full: write error: No space left on device"]


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
@pytest.mark.parametrize("blocks,opts", [(2000, []), (20000, ["--threads", "1"]),
                                         (30000, ["--threads", "3"])])
def test_write_error_leaves_no_partial_output(tmp_path, blocks, opts):
    """A regular output file that cannot be written whole (here: a file-size limit) is never
    left half-written; a previous output stays as it was. Error at the final flush, in the
    middle of an in-order write, and in parts written at once by three threads."""
    import resource

    src = tmp_path / "in.txt"
    src.write_bytes(b"".join(block(pid=i, stack=b" f%d+0x1/0x2\n" % i) for i in range(blocks)))
    out = tmp_path / "out.txt"
    out.write_bytes(b"previous results\n")

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    p = run_subprocess(["sort", *opts, src, out], preexec_fn=limit, timeout=120, env=CHILD_ENV)
    err = p.stderr.decode()
    assert p.returncode == 2
    assert clean_stderr(err) == [f"{PREFIX}error: {out}: write error: File too large"]
    assert out.read_bytes() == b"previous results\n"
    assert leftovers(tmp_path) == []


def test_input_equal_to_output(tmp_path, capsys):
    src = tmp_path / "in.txt"
    src.write_bytes(good_dump())
    before = src.stat()
    rc, _, err = run_cli(["sort", src, src], capsys=capsys)
    assert rc == 2
    assert clean_stderr(err) == [f"{PREFIX}error: {src}: output is the input file; refusing to "
                                 "overwrite it"]
    assert src.read_bytes() == good_dump() and src.stat().st_mtime_ns == before.st_mtime_ns
    # the same file under another name, too
    for i, make in enumerate((os.link, os.symlink)):
        link = tmp_path / f"link{i}.txt"
        try:
            make(src, link)
        except (OSError, NotImplementedError):   # e.g. symlinks on Windows without privilege
            continue
        rc, _, err = run_cli(["sort", src, link], capsys=capsys)
        assert rc == 2 and src.read_bytes() == good_dump()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("damage", ["truncated", "flipped", "bad_header"])
def test_corrupt_gz(tmp_path, capsys, damage):
    gz = bytearray(gzip.compress(good_dump() * 2000))
    if damage == "truncated":
        gz = gz[:len(gz) // 2]
    elif damage == "flipped":
        for i in range(len(gz) // 3, len(gz) // 3 + 64):
            gz[i] ^= 0x55
    else:
        gz[3:] = b"\xff" * 40
    src = tmp_path / "in.txt.gz"
    src.write_bytes(bytes(gz))
    out = tmp_path / "out.txt"
    rc, _, err = run_cli(["sort", src, out], capsys=capsys)
    assert rc == 2
    lines = clean_stderr(err)
    assert len(lines) == 1
    assert lines[0].startswith(f"{PREFIX}error: {src}: corrupt or truncated compressed input (")
    assert not out.exists() and leftovers(tmp_path) == []


def test_corrupt_xz_names_the_file(tmp_path, capsys):
    import lzma
    src = tmp_path / "in.txt.xz"
    src.write_bytes(lzma.compress(good_dump() * 500)[:200])
    rc, _, err = run_cli(["sort", src, tmp_path / "out.txt"], capsys=capsys)
    assert rc == 2
    assert clean_stderr(err)[0].startswith(f"{PREFIX}error: {src}: corrupt or truncated")


# --- Ctrl-C -------------------------------------------------------------------------------------

@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_half_way(tmp_path):
    """SIGINT while reading a pipe that never ends: exit 130, one line, no traceback, no output
    file and no temporary file left in the output directory."""
    outdir = tmp_path / "outdir"
    outdir.mkdir()
    out = outdir / "out.txt"
    p = subprocess.Popen([sys.executable, "-m", "pageowner_fast", "sort", "-", str(out)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=CHILD_ENV)
    try:
        p.stdin.write(good_dump() * 1000)   # half a dump; the pipe stays open
        p.stdin.flush()
        deadline = time.monotonic() + 60
        while not leftovers(outdir):        # the temporary output exists: we are reading
            assert p.poll() is None, p.communicate()
            assert time.monotonic() < deadline, "the temporary output never appeared"
            time.sleep(0.05)
        time.sleep(0.3)
        p.send_signal(signal.SIGINT)
        stdout, stderr = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 130
    assert stdout == b""
    assert clean_stderr(stderr.decode()) == [f"{PREFIX}interrupted; no output written"]
    assert list(outdir.iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes")
def test_stdout_closed_early(tmp_path):
    """`sort in - | head`: the reader goes away; we stop quietly with 141 (128 + SIGPIPE)."""
    src = tmp_path / "in.txt"
    src.write_bytes(b"".join(block(pid=i, stack=b" f%d+0x1/0x2\n" % i) for i in range(5000)))
    p = subprocess.Popen([sys.executable, "-m", "pageowner_fast", "sort", str(src), "-"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=CHILD_ENV)
    assert len(p.stdout.read(100)) == 100
    p.stdout.close()
    err = p.stderr.read()
    p.stderr.close()
    assert p.wait(timeout=60) == 141
    assert err == b""


# --- the pure-Python engine reports the same ---------------------------------------------------

@pytest.mark.parametrize("data", [
    pytest.param(block(comm=b"a\x00b") + block(pid=2, end=b""), id="nul+truncated"),
    pytest.param(good_dump().replace(b"\n", b"\r\n"), id="crlf"),
    pytest.param(b"Page allocated via\n" + STACK + b"\n" + block(), id="fields-missing"),
    pytest.param(random.Random(1).randbytes(20000), id="garbage"),
])
def test_engines_report_alike(tmp_path, data):
    if pageowner_fast.engine != "cython":
        pytest.skip("the compiled scanner is not available here")
    src = tmp_path / "in.txt"
    src.write_bytes(data)
    res = []
    for pure in ("0", "1"):
        out = tmp_path / f"out{pure}.txt"
        env = dict(os.environ, PAGEOWNER_FAST_PUREPYTHON=pure)
        p = run_subprocess(["sort", "-d", src, out], env=env, timeout=120)
        clean_stderr(p.stderr.decode())
        res.append((p.returncode, p.stderr, out.read_bytes()))
    assert res[0] == res[1]


def test_input_shrinking_under_the_scan(tmp_path):
    """A mapped input truncated before/while it is read: SIGBUS on the vanished pages is
    caught on the scanning thread and becomes an error (no crash, exit 135 before)."""
    import mmap
    import os

    _scan = pytest.importorskip("pageowner_fast._scan")
    from pageowner_fast import gen
    path = tmp_path / "d.txt"
    with open(path, "wb") as f:
        gen.generate(f, size=3 << 20, seed=3)
    for threads in (1, 2):
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            os.truncate(path, 1000)
            with pytest.raises(OSError, match="changed"):
                _scan.scan_mapped(mm, threads=threads, aggregate=True, release=True)
        with open(path, "wb") as f:
            gen.generate(f, size=3 << 20, seed=3)


# --- platforms, decompressors, numbers of any size (issues 11 and 16) --------------------------

def test_output_without_os_fchmod(tmp_path, capsys, monkeypatch):
    """Windows has os.fchmod only from Python 3.13: without it the output is still written,
    with its mode set by name, and no temporary file is left."""
    monkeypatch.delattr(os, "fchmod", raising=False)
    src = tmp_path / "in.txt"
    src.write_bytes(good_dump())
    out = tmp_path / "out.txt"
    rc, stdout, err = run_cli(["sort", src, out], capsys=capsys)
    assert (rc, stdout, err) == (0, "", "")
    assert out.read_bytes().count(b" times, ") == 3
    assert leftovers(tmp_path) == []


def test_failure_while_preparing_the_output_leaves_no_temporary_file(tmp_path, capsys, monkeypatch):
    def broken(*a, **k):
        raise OSError(5, "Input/output error")
    monkeypatch.setattr(os, "fdopen", broken)
    src = tmp_path / "in.txt"
    src.write_bytes(good_dump())
    with pytest.raises(OSError):
        run_cli(["sort", src, tmp_path / "out.txt"], capsys=capsys)
    assert leftovers(tmp_path) == [] and not (tmp_path / "out.txt").exists()


ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def _zstd_backends():
    out = []
    try:
        import zstandard  # noqa: F401
        out.append("zstandard")
    except ImportError:
        pass
    try:
        from compression import zstd  # noqa: F401  # Python 3.14+
        out.append("compression.zstd")
    except ImportError:
        pass
    return out or [pytest.param("none", marks=pytest.mark.skip(reason="no zstd module"))]


def _zstd_compress(data: bytes) -> bytes:
    try:
        from compression import zstd
        return zstd.compress(data)
    except ImportError:
        import zstandard
        return zstandard.ZstdCompressor().compress(data)


@pytest.mark.parametrize("backend", _zstd_backends())
@pytest.mark.parametrize("damage", ["magic+0xff", "truncated", "flipped"])
@pytest.mark.parametrize("cmd", ["sort", "top", "stacks"])
def test_corrupt_zstd(tmp_path, capsys, monkeypatch, backend, damage, cmd):
    import sys as _sys
    if backend == "zstandard":   # on Python 3.14 the standard library's module comes first
        monkeypatch.setitem(_sys.modules, "compression.zstd", None)
    if damage == "magic+0xff":
        data = ZSTD_MAGIC + b"\xff" * 13          # 17 bytes
    else:
        data = bytearray(_zstd_compress(good_dump() * 3000))
        if damage == "truncated":
            data = data[:len(data) // 2]
        else:
            for i in range(len(data) // 3, len(data) // 3 + 64):
                data[i] ^= 0x55
    src = tmp_path / "in.zst"
    src.write_bytes(bytes(data))
    out = tmp_path / "out.txt"
    args = ["sort", src, out] if cmd == "sort" else [cmd, src, "-o", out]
    rc, _, err = run_cli(args, capsys=capsys)
    lines = clean_stderr(err)
    assert rc == 2, err
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{PREFIX}error: {src}: corrupt or truncated compressed input (")
    assert not out.exists() and leftovers(tmp_path) == []


HUGE = "9" * 4301   # one digit past Python's int() limit


@pytest.mark.parametrize("line", [f"nr_base_pages: {HUGE}", f"stack_count: {HUGE}",
                                  f"handle: {HUGE}\nnr_base_pages: 5"])
@pytest.mark.parametrize("cmd", ["stacks", "top", "diff", "timeline"])
def test_numbers_of_any_length_in_show_stacks(tmp_path, capsys, line, cmd):
    good = " post_alloc_hook+0x1/0x2\n a+0x1/0x2\nnr_base_pages: 7\n\n"
    bad = f" post_alloc_hook+0x1/0x2\n b+0x1/0x2\n{line}\n\n"
    src = tmp_path / "show_stacks"
    src.write_text(good + bad)
    args = {"stacks": [src], "top": [src, "--by", "stack"], "diff": [src, src],
            "timeline": [src, src]}[cmd]
    rc, out, err = run_cli([cmd, *args, "--format", "json"], capsys=capsys)
    assert rc == 0, err
    lines = clean_stderr(err)
    # the malformed record is counted and said, and kept (without the value)
    assert any("1 record(s) had a count or handle too large" in x for x in lines), lines
    import json
    recs = json.loads(out)
    assert len(recs) == 2 or cmd == "stacks" and len(recs) in (1, 2)


def test_number_of_any_length_in_a_pid_list(tmp_path, capsys):
    src = tmp_path / "in.txt"
    src.write_bytes(good_dump())
    rc, out, err = run_cli(["sort", f"--pid={HUGE}", src, tmp_path / "o.txt"], capsys=capsys)
    assert (rc, out) == (1, "")
    assert err == f"wrong/invalid pid in from the command line:{HUGE}\n"


def test_stream_whose_read_returns_more_than_asked():
    """A file object whose read(n) returns more than n bytes is buffered, not refused."""
    data = good_dump() * 50

    class Generous:
        def __init__(self):
            self.pos = 0

        def read(self, n=-1):
            chunk = data[self.pos:self.pos + (max(n, 1) * 3 if n and n > 0 else len(data))]
            self.pos += len(chunk)
            return chunk

    d = pageowner_fast.load(Generous())
    assert d.nblocks == 150
    got = pageowner_fast.load_any(Generous())
    assert got.nblocks == 150


def test_page_sums_never_wrap(tmp_path, capsys):
    """Four order-62 blocks hold 2**64 pages: the sums are exact (Python integers past
    2**63-1), in sort's output and in every analysis, and no NumPy warning leaks (pytest
    turns warnings into errors)."""
    data = b"".join(block(order=62, pid=p, comm=b"big") for p in (1, 2, 3, 4))
    src = tmp_path / "in.txt"
    src.write_bytes(data)
    out = tmp_path / "o.txt"
    rc, _, err = run_cli(["sort", "--cull=name", src, out], capsys=capsys)
    assert (rc, err) == (0, "")
    assert out.read_bytes() == b"4 times, 18446744073709551616 pages, task_comm_name: big\n"
    rc, _, err = run_cli(["sort", "--cull=name", "-m", "--format=json", src, out], capsys=capsys)
    assert rc == 0 and b'"pages": 18446744073709551616' in out.read_bytes()
    d = pageowner_fast.load(src)
    assert d.sort(cull="name")[0]["pages"] == 1 << 64
    assert d.sort("-pages", cull="pid").text().count(b"4611686018427387904 pages") == 4
    for by in ("comm", "stack", "order"):
        t = pageowner_fast.top(d, by)
        assert t[0]["pages"] == 1 << 64 and t.meta["total_pages"] == 1 << 64, by
    assert pageowner_fast.diff(d.filter(pid=1), d, by="comm")[0]["delta_pages"] == 3 << 62
    t = pageowner_fast.timeline([d.filter(pid=1), d], by="comm")
    assert t[0]["pages"] == [1 << 62, 1 << 64]
    rc, out_text, err = run_cli(["top", src, "--by", "comm"], capsys=capsys)
    assert rc == 0 and err == "" and "18,446,744,073,709,551,616" in out_text


def test_identical_blocks_fold_to_an_exact_sum(tmp_path, capsys):
    """Four identical order-62 blocks (the fold of the compiled scanner stops its int64 sum at
    2**63-1 and says so in stats["pages_overflow"]): the dump's row holds the exact 2**64,
    with either engine, and nothing is printed on stderr."""
    src = tmp_path / "in.txt"
    src.write_bytes(block(order=62) * 4 + block(order=0) * 3)
    out = tmp_path / "o.txt"
    rc, _, err = run_cli(["sort", src, out], capsys=capsys)
    assert (rc, err) == (0, "")
    assert out.read_bytes().split(b"\n")[0] == b"4 times, 18446744073709551616 pages, allocated by OTHERS :"
    d = pageowner_fast.load(src, aggregate=True)   # folded rows with the compiled engine
    assert sum(int(p) for p in d.pages) == (1 << 64) + 3
    rc, out_text, err = run_cli(["top", src, "--by", "comm"], capsys=capsys)
    assert rc == 0 and err == "" and "18,446,744,073,709,551,619" in out_text
