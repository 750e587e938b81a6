"""Shape knobs (rates of memcg lines, threads, free_ts, orders ...) and the named presets.

Every knob left at None keeps the generator's original behaviour, so a dump made without
knobs is byte-identical to one made before they existed.  A knob that is set replaces the
corresponding per-path habit of the model with one rate, a share of *all* blocks (planted
ones aside).  The early-boot blocks (``mask 0x0()``, pid 0/1, ``register_early_stack``)
keep their boot-time form whatever the knobs say -- order 0, no memcg line, no migrate line,
free_ts 0 -- so the regular blocks carry a rate divided by their expected share; a rate
above that share is an error.  ``early_share`` sets how many early-boot blocks there are
(by the length of their runs): a freshly booted small VM has many, a busy or long-running
system few.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from ._eras import ERAS, HAS_FREE_TS, HAS_MEMCG, HAS_TGID

# The shapes of issue 12, as generate() arguments.
SHAPES: dict[str, dict[str, Any]] = {
    # the generator's own defaults: era 6.7, 2,000 paths with Zipf 1.2, per-path habits
    "default": {},
    # a busy cgroup system on a 6.7+ kernel
    "cgroup-heavy-6.7": dict(era="6.7", n_paths=2000, zipf_a=1.1, memcg_rate=0.30, memcgs=3,
                             memcg_offline=1 / 3, migrate_rate=0.02, thread_share=0.30, processes=40,
                             run_length=3.0, orders={0: 80, 1: 8, 2: 5, 3: 5, 9: 2}, early_share=0.02),
    # a long-running 6.1 system: nearly every page was freed before its current allocation,
    # so free_ts is non-zero, every header differs and nothing folds
    "6.1-long-running": dict(era="6.1", free_ts_share=0.97, early_share=0.02),
}


@dataclasses.dataclass(frozen=True)
class Knobs:
    """The shape knobs of one dump (None: the model's per-path habit)."""

    memcg_rate: float | None = None      # share of blocks with a `Charged ... memcg` line
    memcgs: int | None = None            # number of cgroups they are charged to (default 3)
    memcg_offline: float | None = None   # share of charged blocks whose cgroup is offline (default 0)
    migrate_rate: float | None = None    # share of blocks with a `Page has been migrated` line
    thread_share: float | None = None    # share of blocks allocated by a thread (pid != tgid)
    free_ts_share: float | None = None   # share of blocks with free_ts != 0
    processes: int | None = None         # user-space processes (each with a few threads)
    run_length: float | None = None      # mean length of a run of blocks with one path and task
    orders: tuple[tuple[int, float], ...] | None = None  # (order, weight) of the blocks
    early_share: float | None = None     # share of early-boot blocks (originally ~10-35%)

    def as_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in dataclasses.asdict(self).items() if v is not None}
        if self.orders is not None:
            d["orders"] = {str(o): w for o, w in self.orders}
        return d


KNOB_NAMES = tuple(f.name for f in dataclasses.fields(Knobs))


def parse_orders(spec: Any) -> tuple[tuple[int, float], ...]:
    """``{0: 80, 9: 2}``, ``[(0, 80), (9, 2)]`` or ``"0:80,9:2"`` -> ((0, 80.0), (9, 2.0))."""
    if isinstance(spec, str):
        try:
            parts = (part.split(":") for part in spec.split(",") if part.strip())
            items = [(int(a), float(b)) for a, b in parts]
        except ValueError:
            raise ValueError(f"bad order distribution {spec!r} (use e.g. 0:80,1:8,9:2)") from None
    elif isinstance(spec, dict):
        items = [(int(k), float(v)) for k, v in spec.items()]
    else:
        items = [(int(k), float(v)) for k, v in spec]
    if not items:
        raise ValueError("the order distribution is empty")
    if any(not 0 <= o <= 10 for o, _ in items):
        raise ValueError("orders must be between 0 and 10")
    if len({o for o, _ in items}) != len(items):
        raise ValueError("an order appears twice in the order distribution")
    if any(not math.isfinite(w) or w < 0 for _, w in items) or sum(w for _, w in items) <= 0:
        raise ValueError("order weights must be >= 0 with a positive sum")
    return tuple(sorted(items))


def _share(name: str, v: Any) -> float:
    v = float(v)
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, not {v}")
    return v


def resolve(shape: str | None, explicit: dict[str, Any]) -> tuple[dict[str, Any], Knobs]:
    """Merge ``explicit`` generate() arguments over the preset ``shape``.

    Returns the base arguments (era, n_paths, zipf_a with their defaults filled in) and the
    validated knobs.  An explicit argument (not None) wins over the preset."""
    if shape is not None and shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; expected one of {', '.join(SHAPES)}")
    merged = dict(SHAPES[shape or "default"])
    merged.update({k: v for k, v in explicit.items() if v is not None})
    era = merged.pop("era", "6.7")
    if era not in ERAS:
        raise ValueError(f"unknown era {era!r}; expected one of {', '.join(ERAS)}")
    base = {"era": era, "n_paths": int(merged.pop("n_paths", 2000)),
            "zipf_a": float(merged.pop("zipf_a", 1.2))}
    k: dict[str, Any] = {}
    for name in ("memcg_rate", "memcg_offline", "migrate_rate", "thread_share", "free_ts_share",
                 "early_share"):
        if merged.get(name) is not None:
            k[name] = _share(name, merged[name])
    for name in ("memcgs", "processes"):
        if merged.get(name) is not None:
            k[name] = int(merged[name])
            if k[name] < 1:
                raise ValueError(f"{name} must be >= 1")
    if merged.get("run_length") is not None:
        k["run_length"] = float(merged["run_length"])
        if not k["run_length"] >= 1.0:
            raise ValueError("run_length must be >= 1")
    if merged.get("orders") is not None:
        k["orders"] = parse_orders(merged["orders"])
    unknown = set(merged) - set(KNOB_NAMES)
    if unknown:
        raise ValueError(f"unknown shape parameter(s): {', '.join(sorted(unknown))}")
    knobs = Knobs(**k)
    _check_era(base["era"], knobs)
    return base, knobs


def _check_era(era: str, knobs: Knobs) -> None:
    if (knobs.memcg_rate is not None or knobs.memcgs is not None or knobs.memcg_offline is not None) \
            and era not in HAS_MEMCG:
        raise ValueError(f"era {era} dumps have no memcg lines (eras {', '.join(sorted(HAS_MEMCG))} do)")
    if (knobs.memcgs is not None or knobs.memcg_offline is not None) and knobs.memcg_rate is None:
        raise ValueError("memcgs and memcg_offline need memcg_rate")
    if knobs.memcg_offline is not None and 0 < knobs.memcg_offline < 1 and (knobs.memcgs or 3) < 2:
        raise ValueError("a memcg_offline share between 0 and 1 needs memcgs >= 2")
    if knobs.thread_share is not None and era not in HAS_TGID:
        raise ValueError(f"era {era} dumps print no tgid, so no thread can show (eras "
                         f"{', '.join(sorted(HAS_TGID))} do)")
    if knobs.free_ts_share is not None and era not in HAS_FREE_TS:
        raise ValueError(f"era {era} dumps have no free_ts (eras {', '.join(sorted(HAS_FREE_TS))} do)")
