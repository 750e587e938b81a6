"""Threads that use their caller's memory are all joined before the caller goes on, even
when Ctrl-C lands while they are being started (a review found helpers of the argsort and
of the output writer left running on freed memory: a segfault, and pwrites into a closed
file); and --threads caps the sort's threads too."""
import os
import signal
import threading
import time

import numpy as np
import pytest

from pageowner_fast import _textwrite, _threads, pipeline
from pageowner_fast.sortcull import SortOptions

from conftest import block, run_cli, run_subprocess
_scan = pytest.importorskip("pageowner_fast._scan")


def ours_alive():
    return [t.name for t in threading.enumerate() if t.name.startswith("pageowner-fast")]


@pytest.fixture
def sigint_on_first_start(monkeypatch):
    """Thread.start that sends this process a SIGINT just after the first thread started
    (as a Ctrl-C in that instant would)."""
    real = threading.Thread.start
    sent = []

    def start(self):
        real(self)
        if not sent:
            sent.append(self.name)
            os.kill(os.getpid(), signal.SIGINT)
    monkeypatch.setattr(threading.Thread, "start", start)
    return sent


def test_on_threads_runs_every_part_and_joins():
    seen = []
    _threads.on_threads(lambda k: (time.sleep(0.01 * k), seen.append(k)), 4)
    assert sorted(seen) == [0, 1, 2, 3]
    assert ours_alive() == []


def test_interrupted_while_starting_every_started_thread_is_joined(sigint_on_first_start):
    done = []

    def part(k):
        time.sleep(0.3)
        done.append(k)
    with pytest.raises(KeyboardInterrupt):
        _threads.on_threads(part, 3)
    assert sigint_on_first_start            # the interruption really came
    assert ours_alive() == []               # ... and no helper outlived the call
    assert {1, 2} <= set(done)              # the signal was held until both had started


def test_argsort_interrupted_while_starting(sigint_on_first_start):
    keys = np.random.default_rng(1).integers(0, 2**63, 2_000_000, dtype=np.uint64)
    with pytest.raises(KeyboardInterrupt):
        _scan.argsort_u64(keys, threads=3)
    assert sigint_on_first_start
    assert ours_alive() == []


def test_parts_writer_interrupted_while_starting(sigint_on_first_start):
    class Slow:                             # records that take a while to write
        def __len__(self):
            return 300

        def size(self, lo, hi):
            return hi - lo

        def fill(self, buf, lo, hi, target):
            time.sleep(0.001)
            buf[0:1] = b"x"
            return 1, lo + 1, 0
    calls = []
    with pytest.raises(KeyboardInterrupt):
        _textwrite.pwrite_records(lambda v, at: calls.append(at), 0, Slow(), 3)
    n = len(calls)
    time.sleep(0.05)
    assert ours_alive() == [] and len(calls) == n       # nothing writes after the return
    assert n < 300                                      # the parts were told to stop


def test_threads_limit_caps_the_sort(monkeypatch, tmp_path):
    seen = []
    real = _scan.argsort_u64

    def spy(keys, threads=1):
        seen.append(threads)
        return real(keys, threads)
    monkeypatch.setattr(_scan, "argsort_u64", spy)
    src = tmp_path / "in.txt"
    src.write_bytes(b"".join(block(ts=70_000 - i, pid=i % 50) for i in range(70_000)))
    for threads, want in ((1, 1), (None, _threads.usable_cpus())):
        seen.clear()
        pipeline.run(src, tmp_path / "out.txt", SortOptions(sort=[("alloc_ts", 1)]), threads=threads,
                     report=lambda m: None)
        assert seen and set(seen) == {want}


def test_many_records_to_a_pipe_are_written_in_order(tmp_path):
    """Past PARTS_MIN_RECORDS the output goes in parts only to a file that can be written
    at positions; standard output (a pipe here) gets the same bytes in order."""
    from pageowner_fast import compat
    n = compat.PARTS_MIN_RECORDS + 5_000
    src = tmp_path / "in.txt"
    src.write_bytes(b"".join(block(ts=i, pid=i % 97) for i in range(n)))
    to_file = run_subprocess(["sort", "-a", "--threads", "2", src, tmp_path / "out.txt"])
    to_pipe = run_subprocess(["sort", "-a", "--threads", "2", src, "-"])
    assert to_file.returncode == 0 and to_pipe.returncode == 0, to_pipe.stderr
    want = (tmp_path / "out.txt").read_bytes()
    assert want.count(b" times, ") == n
    assert to_pipe.stdout == want


def test_a_prefetched_scan_is_taken_only_when_it_is_the_same(tmp_path, monkeypatch):
    """_engine.prefetch (the command line's head start): a scan asked with other arguments,
    or of a file changed meanwhile, does not take it; it is waited for and dropped, and
    the result is the file's as it is now."""
    from pageowner_fast import _engine, dump
    monkeypatch.setattr(_engine, "PREFETCH_MIN_BYTES", 0)
    src = tmp_path / "in.txt"
    src.write_bytes(b"".join(block(pid=i % 7, ts=i) for i in range(2000)))
    want = dump.load(src)
    assert _engine.prefetch(str(src), strip_ts=True, aggregate=True, threads=2)
    assert not _engine.prefetch(str(src), strip_ts=True, aggregate=True)   # one at a time
    got = dump.load(src, threads=1)                      # other threads: not taken
    assert _engine._prefetched == [] and ours_alive() == []
    assert got.nblocks == want.nblocks == 2000
    assert _engine.prefetch(str(src), strip_ts=True, aggregate=True, threads=2)
    src.write_bytes(b"".join(block(pid=i % 7, ts=i) for i in range(1000)))
    os.utime(src, ns=(1, 1))
    assert dump.load(src, threads=2).nblocks == 1000      # the file changed: not taken
    assert _engine._prefetched == [] and ours_alive() == []


def test_prefetch_gives_up_quietly(tmp_path, monkeypatch):
    """No scan starts for what cannot be mapped or is not worth it; nothing is opened that
    would block (a FIFO) or be read for its data (a compressed file)."""
    import gzip
    from pageowner_fast import _engine
    monkeypatch.setattr(_engine, "PREFETCH_MIN_BYTES", 0)
    data = block() * 10
    (tmp_path / "in.gz").write_bytes(gzip.compress(data))
    (tmp_path / "empty").write_bytes(b"")
    kw = dict(strip_ts=True, aggregate=True)
    assert not _engine.prefetch(str(tmp_path / "in.gz"), **kw)
    assert not _engine.prefetch(str(tmp_path / "empty"), **kw)
    assert not _engine.prefetch(str(tmp_path / "missing"), **kw)
    assert not _engine.prefetch(str(tmp_path), **kw)
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "fifo")
        assert not _engine.prefetch(str(tmp_path / "fifo"), **kw)      # returns, never blocks
    monkeypatch.setattr(_engine, "PREFETCH_MIN_BYTES", 1 << 20)
    (tmp_path / "small").write_bytes(data)
    assert not _engine.prefetch(str(tmp_path / "small"), **kw)
    assert _engine._prefetched == []


def test_an_error_after_the_head_start_drops_the_scan(tmp_path, monkeypatch, capsys):
    """`sort` whose output cannot be made, after its input's scan was started: the usual
    one-line error and exit code, and the scan is waited for and dropped."""
    from pageowner_fast import _engine
    monkeypatch.setattr(_engine, "PREFETCH_MIN_BYTES", 0)
    started = []
    real = _engine.prefetch
    monkeypatch.setattr(_engine, "prefetch", lambda *a, **k: started.append(real(*a, **k)) or started[-1])
    src = tmp_path / "in.txt"
    src.write_bytes(b"".join(block(pid=i % 7, ts=i) for i in range(3000)))
    rc, _, err = run_cli(["sort", "-m", src, tmp_path / "no" / "such" / "out.txt"], capsys=capsys)
    assert started == [True]
    assert rc != 0 and "does not exist" in err and "Traceback" not in err
    assert _engine._prefetched == [] and ours_alive() == []


def test_an_interrupted_join_still_waits_for_the_thread():
    """Ctrl-C while join_all waits: on Python 3.10-3.12 the interrupted Thread.join marks a
    thread that still runs as ended, and a second join returns at once (a review saw the
    scan's mapping freed under its threads that way: a segfault). join_all returns (with the
    interruption) only once the thread's work has ended, and tells the caller meanwhile."""
    done, told = [], []
    asked = threading.Event()

    def part(k):
        asked.wait(10)                      # until join_all was interrupted (and said so)
        time.sleep(0.2)
        done.append(k)
    workers = [_threads.Worker(target=part, args=(1,), name="pageowner-fast test 1")]
    main = threading.main_thread().ident
    timer = threading.Timer(0.1, signal.pthread_kill, (main, signal.SIGINT))
    _threads.start_all(workers)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            _threads.join_all(workers, on_interrupt=lambda: (told.append(1), asked.set()))
    finally:
        timer.cancel()
        asked.set()
        workers[0].join()
    assert done == [1]                      # its work had ended when join_all returned
    assert told == [1]


def test_early_sort_line_refuses_what_the_command_refuses(tmp_path, monkeypatch, capsys):
    """cli/_early.py starts no scan for a command line the sort command will refuse (an
    unknown sort key, a --threads value that is no ASCII number), so the error comes at
    once; '-' as the output is fine. The command's error is one line, no traceback."""
    from pageowner_fast import _engine
    from pageowner_fast.cli._early import prefetch_sort
    monkeypatch.setattr(_engine, "PREFETCH_MIN_BYTES", 0)
    src = tmp_path / "in.txt"
    src.write_bytes(b"".join(block(pid=i % 7, ts=i) for i in range(500)))
    for bad in (["--sort=bogus"], ["--sort", "pid,+nope"], ["--sort=--pid"],
                ["--threads", "\u00b2"], ["--threads=0"], ["--threads", "65"]):
        assert not prefetch_sort([*bad, str(src), "out.txt"]), bad
        assert _engine._prefetched == []
        rc, _, err = run_cli(["sort", *bad, src, tmp_path / "out.txt"], capsys=capsys)
        assert rc != 0 and err.count("\n") <= 2 and "Traceback" not in err, (bad, err)
    assert not prefetch_sort([str(src), "-", "x"]) and not prefetch_sort(["-", "out.txt"])
    assert prefetch_sort(["--sort=-pid,tg", str(src), "-"])
    assert _engine._prefetched[0][1].params[:3] == (True, True, _engine.default_threads(src.stat().st_size))
    _engine.drop_prefetch()
    assert _engine._prefetched == [] and ours_alive() == []


def test_prefetch_gives_up_on_any_error_and_closes_what_it_opened(tmp_path, monkeypatch):
    """An unexpected error while the head start starts (here a RuntimeError from the scan's
    start) is left for the command to meet: nothing is left open or on record."""
    from pageowner_fast import _engine
    monkeypatch.setattr(_engine, "PREFETCH_MIN_BYTES", 0)
    src = tmp_path / "in.txt"
    src.write_bytes(block() * 100)

    def boom(self, here=False):
        raise RuntimeError("no threads today")
    monkeypatch.setattr(_scan.MappedScan, "start", boom)
    fds = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    assert not _engine.prefetch(str(src), strip_ts=True, aggregate=True)
    assert _engine._prefetched == []
    if fds is not None:
        assert len(os.listdir("/proc/self/fd")) == fds


def test_signal_taken_by_another_thread_is_held_too(monkeypatch):
    """A thread that does not block SIGINT (any library's) takes the process's Ctrl-C while
    the main thread holds it; Python then runs the handler on the main thread anyway. The
    held block still starts every thread before the interruption is raised (CI saw one
    helper never started: a flake that depended on the tests run before)."""
    bystander = threading.Thread(target=time.sleep, args=(5,), daemon=True)
    bystander.start()                       # started outside any hold: SIGINT unblocked
    real = threading.Thread.start
    sent, done = [], []

    def start(self):
        real(self)
        if not sent:
            sent.append(1)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)                # the bystander takes it meanwhile
    monkeypatch.setattr(threading.Thread, "start", start)

    def part(k):
        time.sleep(0.2)
        done.append(k)
    with pytest.raises(KeyboardInterrupt):
        _threads.on_threads(part, 3)
    assert sent and ours_alive() == []
    assert sorted(done) == [1, 2]


@pytest.fixture(scope="module")
def dump_40m(tmp_path_factory):
    from conftest import generated_dump
    return generated_dump(tmp_path_factory, "late", size=40 << 20, seed=3, shape="cgroup-heavy-6.7")


def _mapped_scan(path, **start):
    import mmap
    with open(path, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    job = _scan.MappedScan(mm, strip_ts=True, aggregate=True, threads=2,
                           fold_key=start.pop("fold_key", None))
    try:
        job.start(**start)
        parts = len(job.workers)
        if start.get("late"):
            job._split_late()       # (what finish() does first), to count the parts after it
            parts = len(job.workers)
            job.late = None
        return job.finish(), parts
    finally:
        job.wait()


@pytest.mark.parametrize("fold_key", [None, ["stacktrace"]])
def test_a_late_split_scans_what_two_parts_scan(dump_40m, fold_key):
    """MappedScan.start(late=True), as the command line's head start asks on a machine with
    no CPU to spare: the first part scans on while the caller works, and finish() gives
    what it has not reached to a second part. Same columns, tables and counts as the
    usual two parts."""
    want, n = _mapped_scan(dump_40m, fold_key=fold_key)
    got, late_n = _mapped_scan(dump_40m, late=True, fold_key=fold_key)
    assert (n, late_n) == (2, 2)
    (wc, wt, ws), (gc, gt, gs) = want, got
    assert sorted(wc) == sorted(gc)
    for k in wc:
        np.testing.assert_array_equal(wc[k], gc[k], err_msg=k)
    from pageowner_fast._table import Table
    assert sorted(wt) == sorted(gt)
    for k in wt:
        assert list(Table(wt[k])) == list(Table(gt[k])), k
    assert ws == gs


def test_a_folded_merge_of_many_rows_is_one_pass(dump_40m):
    """The fold's merge looks b's thousands of group keys up in a's table (grown once, fetched
    ahead) and adds up or appends their rows: the same rows, in the same order, with the
    same ids and counts as one thread's pass."""
    import mmap
    with open(dump_40m, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        one = _scan.scan_mapped(mm, aggregate=True, threads=1)
        two = _scan.scan_mapped(mm, aggregate=True, threads=2)
    (wc, wt, ws), (gc, gt, gs) = one, two
    assert len(wc["count"]) > 5_000 and wc["count"].sum() == ws["blocks"]
    for k in wc:
        np.testing.assert_array_equal(wc[k], gc[k], err_msg=k)
    from pageowner_fast._table import Table
    for k in wt:
        assert list(Table(wt[k])) == list(Table(gt[k])), k
    assert ws == gs


def test_a_cancelled_late_scan_stops_early_and_cannot_be_finished(dump_40m):
    import mmap
    with open(dump_40m, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    job = _scan.MappedScan(mm, strip_ts=True, aggregate=True, threads=2)
    try:
        job.start(late=True)
        assert len(job.workers) == 1
        job.cancel()
    finally:
        job.wait()
    assert job.scanners[0].done_bytes < os.path.getsize(dump_40m)    # it stopped at a slice
    with pytest.raises(RuntimeError, match="cancelled"):
        job.finish()


def test_an_interruption_while_the_handlers_are_put_back_leaves_nothing_held(monkeypatch):
    """signal.signal() runs a signal another thread took meanwhile with the handler just put
    back (KeyboardInterrupt, raised from signal.signal itself): the rest of the hold's end
    still runs -- every handler back, the mask as it was -- and the interruption is raised."""
    real = signal.signal
    before = {s: signal.getsignal(s) for s in _threads._HELD}
    calls = []

    def put_back(sig, h):
        out = real(sig, h)
        calls.append(sig)
        if len(calls) == len(_threads._HELD) + 1:      # the first handler put back
            raise KeyboardInterrupt
        return out
    monkeypatch.setattr(_threads.signal, "signal", put_back)
    with pytest.raises(KeyboardInterrupt):
        with _threads.signals_held():
            pass
    monkeypatch.undo()
    assert {s: signal.getsignal(s) for s in _threads._HELD} == before
    assert not set(signal.pthread_sigmask(signal.SIG_BLOCK, [])) & _threads._HELD


def test_a_cull_folds_by_its_key_only_where_texts_are_unique(tmp_path):
    """_engine.key_fold_pays: the sort's cull folds by its key while reading only for dumps
    whose header lines carry free_ts (their texts are all but unique); 6.7-era dumps fold by
    text and cull the rows. Streams, compressed files and what cannot be read keep the key
    fold (memory bounded by the keys); a FIFO is never opened."""
    import gzip
    from pageowner_fast import _engine
    from conftest import HEADER
    new = block() * 3
    old = HEADER.replace(b" ns\n", b" ns, free_ts 0 ns\n") % (0, 1, 1, b"bash", 5) + b" f+0x1/0x2\n\n"
    for name, data, want in [("new", new, False), ("old", old, True), ("junk", b"x\n" * 9, True),
                             ("gz", gzip.compress(new), True), ("empty", b"", True)]:
        (tmp_path / name).write_bytes(data)
        assert _engine.key_fold_pays(str(tmp_path / name)) is want, name
    assert _engine.key_fold_pays("-") and _engine.key_fold_pays(str(tmp_path / "missing"))
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "fifo")
        assert _engine.key_fold_pays(str(tmp_path / "fifo"))         # returns, never blocks
