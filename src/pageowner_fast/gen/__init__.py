"""Seeded generator of realistic ``/sys/kernel/debug/page_owner`` dumps.

Used by the benchmarks (``bench/compare.py``) and by tests that need large or
specially shaped inputs.  Only the standard library and NumPy are imported, so
this subpackage works without the package's compiled extension (and without the
rest of the package: ``bench/_gencache.py`` loads it on its own).

The output follows the per-era layout of the kernel's ``mm/page_owner.c``
(its print formats, era by era):

====== ====================================================================
era    header / PFN line / stack frames
====== ====================================================================
4.6    ``Page allocated via order O, mask 0xM(names)``;
       ``PFN <dec> ... Flags 0x<hex>(names)``; frames `` [<addr>] sym+0x/0x``
5.11   ``…, pid P, ts T ns``; frames `` sym+0xOFF/0xSIZE``
5.13   ``…, pid P, ts T ns, free_ts F ns`` (F is 0 or smaller than T)
5.18   ``…, pid P, tgid G (comm), ts T ns, free_ts F ns``; decimal PFN,
       ``%pGp`` flags with ``node=|zone=|lastcpupid=`` fields; memcg lines
6.1    as 5.18, stacks from ``get_page_from_freelist`` like a real 6.1 dump
6.5    as 5.18 but ``PFN 0x<hex>``
6.7    ``…, pid P, tgid G (comm), ts T ns`` (no free_ts), hex PFN,
       ``_noprof`` allocator frames -- the default, shaped like a 6.12 dump
====== ====================================================================

What a dump contains: about ``n_paths`` distinct call paths (5-16 frames,
innermost first, starting with the allocator's own frames), chosen with a
Zipf(``zipf_a``) law; runs of consecutive blocks with the same path and task
(one allocation burst, consecutive PFNs); orders mostly 0, some 1-4, THP
order 9 and a rare order 10; a few hundred tasks with awkward comms (spaces,
parentheses, commas, exactly 15 characters); module frames (`` [ext4]``,
`` [xfs]`` ...); CMA pageblocks; slab pages (``slab`` / ``slab|head`` page
flags); vmalloc paths (a frame naming ``alloc_pages`` just inside
``__vmalloc_node_range``); ``Page has been migrated`` lines; memcg lines
(era >= 5.18); early-boot ``mask 0x0()`` blocks from pid 0/1.  Timestamps
increase within a run and are unique; across runs they are only locally
shuffled ("monotonic-ish").  Every block ends with an empty line.  An
era-6.7 dump averages 650-720 bytes per block depending on the seed (1 GiB of
seed 0 holds 1.56 M blocks); ~8 s per GiB, ~90 MB peak memory.

Shapes (``SHAPES``, ``generate(shape=...)``): the knobs ``memcg_rate``,
``memcgs``, ``memcg_offline``, ``migrate_rate``, ``thread_share``,
``free_ts_share``, ``processes``, ``run_length``, ``orders`` and ``early_share``
replace the model's per-path habits with one rate each (see ``_shapes``);
``"cgroup-heavy-6.7"`` and ``"6.1-long-running"`` are the shapes of issue 12.
Planted content with ground truth (``plant_memcg``, ``plant_mixed``,
``plant_window``; see ``_plant``) is counted, with every other block, in the
``truth`` that ``generate()`` returns.

The output is a pure function of the arguments and of this subpackage's
version (its code and ``data/tables.json``): the same call gives the same
bytes.  Separate random streams are used for the call-path pool, the task
pool, the block stream and the planted blocks, so that

* ``plant`` (and ``plant_*``) add blocks without changing any other block's text,
* ``stack_variant`` changes only the rendering of the frames, and
* each knob draws from a stream of its own: setting one does not move another's choices.

Layout: ``_vocab`` reads the data tables, ``_eras`` holds what differs by
kernel era, ``_paths`` builds and renders call paths, ``_tasks`` the tasks,
``_shapes`` the knobs and presets, ``_model`` fixes everything for one dump,
``_plant`` the planted content and the ground-truth count, ``_emit`` writes the
block stream, ``_api`` has the entry points.  The command line is ``pageowner-fast gen``
(``pageowner_fast._cli_gen``).  The shipped ``data/example.txt.gz`` of the
package is ``generate(f, blocks=300, era="6.7", seed=1)``, gzip'd with
``mtime=0``.
"""

from ._api import generate, parse_size, path_stacks
from ._eras import ERAS
from ._shapes import SHAPES, parse_orders

__all__ = ["ERAS", "SHAPES", "generate", "parse_orders", "parse_size", "path_stacks"]
