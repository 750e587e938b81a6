"""pf.fleet on real Dask clusters: a LocalCluster of two worker processes, and a scheduler and
two workers started as separate processes (`python -m distributed.cli.dask_scheduler`,
`... dask_worker`) on 127.0.0.1, driven through the command line's --scheduler. The dataset
equals the plain loop over load() either way; a worker killed (SIGKILL) in the middle of a
task loses and duplicates nothing; the planted leaking machine is the first outlier.

The process cluster is started once for the module and always torn down (every process
killed) at the end, failed or not; the LocalCluster is closed by the ingest that starts it."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import fleetdata as FD
import pytest
from conftest import CHILD_ENV, run_cli

distributed = pytest.importorskip("distributed")
pytest.importorskip("dask.dataframe")

from pageowner_fast import fleet  # noqa: E402

TIMEOUT = 120


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    return FD.lab_in(tmp_path_factory)


# --- a LocalCluster of two worker processes -----------------------------------------------------

def test_a_local_cluster_of_two_worker_processes(lab, tmp_path):
    """What `fleet ingest` runs without --scheduler on a machine with CPUs to spare: a
    LocalCluster, here of two worker processes (one scan thread each)."""
    root, info = lab
    r = fleet.ingest([root], tmp_path / "ds", labels_from=FD.REGEX, workers=2)
    assert r.ok and len(r.ingested) == 12
    assert r.where == "on a local Dask cluster of 2 worker processes"
    workers = {s["worker"] for s in r.ingested}
    assert len(workers) == 2 and all(w.split(":")[1] != str(os.getpid()) for w in workers)
    assert FD.dataset_loop(tmp_path / "ds") == FD.plain_loop(info["files"])


# --- a scheduler and two workers as separate processes -------------------------------------------

class Procs:
    """A scheduler and workers started with the venv's Python; every one is killed at the end."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.procs: list[subprocess.Popen] = []
        self.workers: list[subprocess.Popen] = []
        self.sfile = tmp / "scheduler.json"
        self.address = ""

    def _start(self, module: str, *args: str) -> subprocess.Popen:
        log = open(self.tmp / f"{module.rsplit('.', 1)[-1]}-{len(self.procs)}.log", "wb")
        p = subprocess.Popen([sys.executable, "-m", module, *args], stdout=log, stderr=log,
                             stdin=subprocess.DEVNULL, env=CHILD_ENV, cwd=self.tmp)
        log.close()
        self.procs.append(p)
        return p

    def start(self, nworkers: int = 2) -> None:
        self._start("distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
                    "--no-dashboard", "--scheduler-file", str(self.sfile))
        deadline = time.monotonic() + TIMEOUT
        while not self.sfile.exists() or not self.sfile.read_text().strip().endswith("}"):
            assert time.monotonic() < deadline and self.procs[0].poll() is None, "no scheduler"
            time.sleep(0.1)
        self.address = json.loads(self.sfile.read_text())["address"]
        for i in range(nworkers):
            # no nanny: a killed worker stays dead, and its tasks must go to the other one
            self.workers.append(self._start(
                "distributed.cli.dask_worker", self.address, "--nthreads", "1", "--no-nanny",
                "--no-dashboard", "--host", "127.0.0.1", "--name", f"w{i}"))

    def close(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.kill()
        for p in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=30)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    procs = Procs(tmp_path_factory.mktemp("cluster"))
    try:
        procs.start()
        with distributed.Client(procs.address, timeout="60s", set_as_default=False) as client:
            client.wait_for_workers(2, timeout=TIMEOUT)
            yield procs, client
    finally:
        procs.close()


def _cli(args: list[str], **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pageowner_fast", "fleet", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=CHILD_ENV, **kw)


def test_scheduler_and_workers_as_processes_through_the_command_line(lab, cluster, tmp_path, capsys):
    root, info = lab
    procs, client = cluster
    ds = tmp_path / "ds"
    rc, out, err = run_cli(["fleet", "ingest", root, "--out", ds, "--labels-from", FD.REGEX,
                            "--scheduler", procs.address], capsys=capsys)
    assert (rc, err) == (0, "")
    assert "ingested 12 dumps" in out and procs.address in out
    assert FD.dataset_loop(ds) == FD.plain_loop(info["files"])
    # the queries computed on the cluster give what they give in this process
    rc, out, err = run_cli(["fleet", "outliers", ds, "--by", "stack", "--across", "host",
                            "--format", "json", "--scheduler", procs.address], capsys=capsys)
    assert (rc, err) == (0, "")
    on_cluster = json.loads(out)
    assert on_cluster == fleet.outliers(ds, "stack", "host").to_records()
    assert (on_cluster[0]["key"], on_cluster[0]["host"]) == \
        (fleet.stack_hash(info["leak_stack"]), FD.LEAKY)
    for by in ("host", "comm,kernel"):
        assert fleet.top(ds, by, client=client).rows == fleet.top(ds, by).rows


def _serve_fifo(fifo: Path, data: bytes, upto: int, deadline: float) -> int:
    """Wait for a reader of the FIFO, write ``data[:upto]``; return the open fd (or -1 if the
    reader went away)."""
    while True:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError:              # ENXIO: nobody reads yet
            assert time.monotonic() < deadline, "no worker opened the FIFO"
            time.sleep(0.02)
    os.set_blocking(fd, True)
    try:
        view = memoryview(data)[:upto]
        while view:
            view = view[os.write(fd, view):]
    except BrokenPipeError:
        os.close(fd)
        return -1
    return fd


def _drain_fifo(fifo: Path) -> None:
    """Read, as a second reader, whatever the FIFO's pipe holds now."""
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        while True:
            try:
                if not os.read(fd, 1 << 16):
                    break
            except BlockingIOError:
                break
    finally:
        os.close(fd)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a FIFO (POSIX)")
def test_a_worker_killed_mid_ingest_loses_and_duplicates_nothing(lab, cluster, tmp_path):
    """One input is a FIFO that this test feeds: the task reading it is stuck mid-scan while
    half of the dump is written, and that worker is SIGKILLed then. Dask gives the task to the
    other worker, which reads the FIFO again from the start."""
    root, info = lab
    procs, client = cluster
    inputs = tmp_path / "in"
    shutil.copytree(root, inputs)
    plain = inputs / "h9" / "6.7" / "300.txt"
    plain.parent.mkdir(parents=True)
    source = next(p for p in info["files"] if p.endswith(".txt"))
    data = Path(source).read_bytes()
    fifo = inputs / "h9" / "6.7" / "300.txt.fifo"
    os.mkfifo(fifo)
    st = os.stat(fifo)
    fifo_task = f"pageowner-fast-ingest-{fleet.dump_id(str(fifo), st.st_size, st.st_mtime_ns)}"
    pids = client.run(os.getpid)
    assert sorted(pids.values()) == sorted(p.pid for p in procs.workers)

    ingest = _cli(["ingest", inputs, "--out", tmp_path / "ds", "--labels-from", FD.REGEX,
                   "--scheduler", procs.address])
    try:
        deadline = time.monotonic() + TIMEOUT
        fd = _serve_fifo(fifo, data, len(data) // 2, deadline)
        assert fd >= 0

        def executing(dask_worker):   # runs on each worker
            return [str(ts.key) for ts in dask_worker.state.executing]
        while True:
            where = [w for w, keys in client.run(executing).items() if fifo_task in keys]
            if where:
                break
            assert time.monotonic() < deadline
            time.sleep(0.02)
        victim = next(p for p in procs.workers if p.pid == pids[where[0]])
        # The old pipe must be empty and writer-less before the retry can open the FIFO:
        # a retry that opened it while this test still held its write end would read the
        # bytes the victim left, then EOF, and never open it again. So the victim is stopped
        # (it reads no more), what it left is drained here, the write end closed, and only
        # then is the victim killed.
        os.kill(victim.pid, signal.SIGSTOP)
        _drain_fifo(fifo)
        with contextlib.suppress(OSError):
            os.close(fd)
        os.kill(victim.pid, signal.SIGKILL)
        assert victim.wait(timeout=30) == -signal.SIGKILL    # gone, and its end of the FIFO
        # the retry, on the worker left: the whole dump this time (a deadline of its own:
        # noticing the lost worker can take a while on a loaded machine)
        fd = _serve_fifo(fifo, data, len(data), time.monotonic() + TIMEOUT)
        assert fd >= 0
        os.close(fd)
        out, err = ingest.communicate(timeout=TIMEOUT)
    finally:
        if ingest.poll() is None:
            ingest.kill()
            ingest.wait()
    assert ingest.returncode == 0, err
    assert b"ingested 13 dumps" in out
    # every dump exactly once, equal to the plain loop over the same bytes
    ids = FD.committed_ids(tmp_path / "ds")
    assert len(ids) == len(set(ids)) == 13
    assert FD.leftovers(tmp_path / "ds") == []
    plain.write_bytes(data)
    copies = {str(inputs / Path(p).relative_to(root)): {} for p in info["files"]}
    want = FD.plain_loop(copies)
    want.update({(str(fifo), *k[1:]): v for k, v in FD.plain_loop({str(plain): {}}).items()})
    assert FD.dataset_loop(tmp_path / "ds") == want
    assert len(fleet.dumps(tmp_path / "ds")) == 13
