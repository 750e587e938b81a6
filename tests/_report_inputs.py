"""Inputs shared by the report tests (test_report.py, test_report_browser.py): a generated
pair of snapshots with a planted leak, and a dump whose comms, frames, module and memcg
names are hostile HTML."""
from __future__ import annotations

from pathlib import Path

from conftest import HEADER

# what a dump from another machine could hold: markup that must show as text and run nothing
HOSTILE_COMM = "<img src=x onerror=alert(1)>"
HOSTILE_FRAME = "</script><script>window.pwned=1</script>"
HOSTILE_MODULE = "<svg/onload=alert(3)>"
HOSTILE_MEMCG = "<iframe srcdoc='<script>parent.pwned=2</script>'>"
HOSTILE = (HOSTILE_COMM, HOSTILE_FRAME, HOSTILE_MODULE, HOSTILE_MEMCG)

PFN = b"PFN 0x10a3f type Movable Block 133 type Movable Flags 0x17ffffc0020838(uptodate|lru)\n"


def hostile_dump(path: Path) -> Path:
    """Three blocks: a hostile comm, a hostile frame with a hostile module, a hostile memcg."""
    def blk(order: int, pid: int, comm: str, stack: str) -> bytes:
        return (HEADER % (order, pid, pid, comm.encode(), 1000 + pid) + PFN + stack.encode() + b"\n")
    path.write_bytes(
        blk(3, 7, HOSTILE_COMM, " get_page_from_freelist+0x5b2/0x1390\n do_evil+0x1/0x2\n")
        + blk(2, 8, "bash", f" {HOSTILE_FRAME}+0x10/0x20\n evil_mod_fn+0x1/0x2 [{HOSTILE_MODULE}]\n")
        + blk(1, 9, "cat", f" alloc_pages+0x1/0x2\n vfs_read+0x3/0x4\nCharged to memcg {HOSTILE_MEMCG}\n"))
    return path


def planted_pair(directory: Path, blocks: int = 6000, seed: int = 7, path: int = 25,
                 leak: int = 900) -> tuple[Path, Path, tuple[str, ...]]:
    """(old, new, the planted stack's frames): new is old plus `leak` blocks of call path
    `path` (gen's plant keeps every other block's text)."""
    from pageowner_fast import gen
    old, new = directory / "old.txt", directory / "new.txt"
    with open(old, "wb") as f:
        gen.generate(f, blocks=blocks, seed=seed)
    with open(new, "wb") as f:
        truth = gen.generate(f, blocks=blocks, seed=seed, plant=[{"path": path, "blocks": leak}])
    frames = tuple(line.strip() for line in truth["planted"][0]["stack"].splitlines() if line.strip())
    return old, new, frames
