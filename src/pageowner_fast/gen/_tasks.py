"""Tasks: pid, tgid, comm and cgroup of the processes and kernel threads that allocate."""

from __future__ import annotations

import re

import numpy as np

from . import _vocab as V
from ._paths import pick

# a comm must not contain what the C tool's regexes would take for a field
COMM_HIJACK = re.compile(r"ts\s*[0-9]*\s*ns|\),\s*ts|tgid|\n")


class Tasks:
    """pid/tgid/comm/memcg of a few hundred tasks, split into classes."""

    def __init__(self, rng: np.random.Generator, processes: int | None = None) -> None:
        """The original pool (``processes`` None): ~100 processes from the vocabulary, their
        threads in the "user" class beside them.  With ``processes``: that many processes,
        each with 2-6 threads kept apart (``threads``), only the main tasks in "user"."""
        self.pid: list[int] = []
        self.tgid: list[int] = []
        self.comm: list[str] = []
        self.memcg: list[str | None] = []
        self.classes: dict[str, list[int]] = {"user": [], "kthread": [], "init": [], "irq": [], "early": []}
        self.used: set[int] = {0, 1}

        # early boot and idle
        self.add(1, 1, "swapper/0", None, "early", "init")
        self.add(0, 0, "swapper/0", None, "early", "irq")
        for cpu in (1, 2, 3):
            self.add(0, 0, f"swapper/{cpu}", None, "irq")
        kpid = 2
        for name in V.KTHREADS:
            pid = self.free_pid(kpid if kpid < 200 else int(rng.integers(200, 40000)))
            kpid += int(rng.integers(1, 12))
            cls = ["kthread"]
            if name in ("kthreadd",) or name.startswith(("kworker/u8", "kworker/0:", "cpuhp")):
                cls.append("init")
            if name.startswith("ksoftirqd"):
                cls.append("irq")
            self.add(pid, pid, name, None, *cls)
        # threads[i]: the task indices of main task i's threads (new pool only)
        self.threads: dict[int, list[int]] = {}
        if processes is not None:
            self._processes(rng, processes)
            self.n = len(self.pid)
            return
        for comm, threads, copies in V.USER_PROCS:
            for _ in range(copies):
                if comm == "systemd":
                    tgid = 1
                else:
                    tgid = int(rng.integers(300, 4_000_000 if rng.random() < 0.1 else 60_000))
                tgid = self.free_pid(tgid)
                # about half of the processes are not charged to any memcg
                memcg = pick(rng, V.MEMCG_NAMES) if rng.random() < 0.5 else None
                self.add(tgid, tgid, comm, memcg, "user")
                if comm in ("systemd", "bash") and len(self.classes["irq"]) < 12:
                    self.classes["irq"].append(len(self.pid) - 1)
                for t in threads:
                    pid = self.free_pid(tgid + int(rng.integers(1, 64)))
                    self.add(pid, tgid, t, memcg, "user")
        self.n = len(self.pid)

    def _processes(self, rng: np.random.Generator, processes: int) -> None:
        procs = [(comm, threads) for comm, threads, _ in V.USER_PROCS]
        for j in range(processes):
            comm, names = procs[j % len(procs)]
            tgid = self.free_pid(1 if comm == "systemd" else int(rng.integers(300, 60_000)))
            memcg = pick(rng, V.MEMCG_NAMES) if rng.random() < 0.5 else None
            main = self.add(tgid, tgid, comm, memcg, "user")
            names = names or (comm,)
            self.threads[main] = [
                self.add(self.free_pid(tgid + int(rng.integers(1, 64))), tgid, names[t % len(names)], memcg)
                for t in range(int(rng.integers(2, 7)))]

    def thread_table(self) -> tuple[np.ndarray, np.ndarray]:
        """(first, count) per task: ``first[i] + j`` for ``j < count[i]`` are i's threads."""
        first = np.arange(len(self.pid), dtype=np.int64)
        count = np.zeros(len(self.pid), dtype=np.int64)
        for main, ts in self.threads.items():
            first[main], count[main] = ts[0], len(ts)
        return first, count

    def free_pid(self, pid: int) -> int:
        """``pid`` or the next unused number above it, now marked used."""
        while pid in self.used:
            pid += 1
        self.used.add(pid)
        return pid

    def add(self, pid: int, tgid: int, comm: str, memcg: str | None, *classes: str) -> int:
        assert len(comm.encode()) <= 15 and not COMM_HIJACK.search(comm), comm
        i = len(self.pid)
        self.pid.append(pid)
        self.tgid.append(tgid)
        self.comm.append(comm)
        self.memcg.append(memcg)
        for c in classes:
            self.classes[c].append(i)
        return i
