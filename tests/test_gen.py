"""The dump generator (pageowner_fast.gen): byte-identical output for every argument it had before
the shape knobs, the knobs' rates measured on generated dumps, the planted ground truth against an
independent count (``load()`` + NumPy, and the PFN lines read with a regular expression), era 6.1,
and ``pageowner-fast gen``."""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
from collections import Counter
from importlib import resources

import numpy as np
import pytest

import pageowner_fast as pf
from pageowner_fast import _fields as F
from pageowner_fast import gen
from pageowner_fast.exceptions import UsageError

from conftest import run_cli

# sha256 of generate(**kw), recorded with the single-module gen.py before it became a subpackage
# and gained its shape knobs (a larger matrix of 150 combinations was compared at that change).
HASHES = [
    ({'era': '4.6', 'seed': 0, 'blocks': 1500, 'n_paths': 300, 'zipf_a': 1.05},
     "e12998fd95315b8a5513b12c644f8f3318cfde1e5cd7a14544f1b9a2c80f7792"),
    ({'era': '4.6', 'seed': 1, 'blocks': 1500, 'n_paths': 300, 'zipf_a': 1.05},
     "09934ddead2d9dc5a3998e11c957c4cbaf92101b5b83e5ae8b058925f922af9d"),
    ({'era': '4.6', 'seed': 2, 'blocks': 1500, 'n_paths': 300, 'zipf_a': 1.05},
     "6c3d8838c201135d948ce465bd1fec219f416acef968302d6714e1d77701b6e9"),
    ({'era': '5.11', 'seed': 0, 'blocks': 1500, 'n_paths': 300, 'zipf_a': 1.05},
     "1eb3caf72e6a21f26d141d63091e7679f2abe9976a1e14b468f1ebc42cc51fab"),
    ({'era': '5.11', 'seed': 1, 'blocks': 1500, 'n_paths': 300, 'zipf_a': 1.05},
     "968075072275c730b75d7ca0967fc20a5a452eebf307125651364eb1f0494161"),
    ({'era': '5.11', 'seed': 2, 'blocks': 1500, 'n_paths': 300, 'zipf_a': 1.05},
     "7a1d0725f047ff81345792c5d133ed3b4ef0ec741b99705e1fb0c79bbeb4d2e9"),
    ({'era': '5.13', 'seed': 0, 'blocks': 1500, 'n_paths': 300, 'zipf_a': 1.05},
     "ec58e5146499bd51720e8881a42e64171ecba860baf6e14efcbc6be63e85569f"),
    ({'era': '5.13', 'seed': 1, 'blocks': 1500, 'n_paths': 300, 'zipf_a': 1.05},
     "6b71ceac62be38f65e1a58a03ff9f0a7c1840c8ef060a79b17748f6d7a7bce95"),
    ({'era': '5.13', 'seed': 2, 'blocks': 1500, 'n_paths': 300, 'zipf_a': 1.05},
     "b1171342b800183b84a93232269aa3054c2fe5b7e33ae5ce7b9fd6ea4780ada2"),
    ({'era': '5.18', 'seed': 0, 'blocks': 1500, 'n_paths': 300, 'zipf_a': 1.05},
     "06d19eed45ea6d8a07e8d2b3f516f81eef67bef0d919445f6276ef78e37abb09"),
    ({'era': '5.18', 'seed': 1, 'blocks': 1500, 'n_paths': 300, 'zipf_a': 1.05},
     "a5e7027a327e4b5944d332f2c9002cf040e9ddb83a84c0a40e8af3065dbd3622"),
    ({'era': '5.18', 'seed': 2, 'blocks': 1500, 'n_paths': 300, 'zipf_a': 1.05},
     "a7aabcbf8d233d35eb4f52a9be6cb810fd040c5232c3f679e6e4bd0247078f00"),
    ({'era': '6.5', 'seed': 0, 'blocks': 1500, 'n_paths': 300, 'zipf_a': 1.05},
     "e697c57474ed7abe397fb7ec85cdbcc5b89178d78a28abeec419bebb52561d5c"),
    ({'era': '6.5', 'seed': 1, 'blocks': 1500, 'n_paths': 300, 'zipf_a': 1.05},
     "959b593b5d47b512e407ce11f032cea283d8a93211677381930262cf89d3ed7e"),
    ({'era': '6.5', 'seed': 2, 'blocks': 1500, 'n_paths': 300, 'zipf_a': 1.05},
     "9cd5d9dc7d221809b38e48c3f230c46ab9bf623dfa57388275caafe937c0d558"),
    ({'era': '6.7', 'seed': 0, 'blocks': 1500, 'n_paths': 300, 'zipf_a': 1.05},
     "c20bdf94ef7cecacfd80ba94d271f96ec09cfdb0649cc9f57a0873f35b7328e3"),
    ({'era': '6.7', 'seed': 1, 'blocks': 1500, 'n_paths': 300, 'zipf_a': 1.05},
     "b58ecb3d26a959ee7af2c02e32429edc74252959c7feb455100127e83225fd52"),
    ({'era': '6.7', 'seed': 2, 'blocks': 1500, 'n_paths': 300, 'zipf_a': 1.05},
     "4cc3b9343a9f6ef3fafb9c9c5893b5e507c78486eece57f6b50383b290a7baa1"),
    ({'era': '5.13', 'seed': 0, 'blocks': 300},
     "6d024c9cae8604051a87a4b4179fede94d64de4deafeba8afa8d794123075d30"),
    ({'era': '6.7', 'seed': 0, 'blocks': 300},
     "4e1e50008cb17ce454aa7aa554ec09de728c790608ec83e55cd10e5e1bc1ab17"),
    ({'era': '6.7', 'seed': 1, 'size': 1048576},
     "43a12f92da230f07596d10836257906e476fe96234fc69f2d3273c6715ac0c7e"),
    ({'era': '5.13', 'seed': 2, 'size': 3000000, 'blocks': 4000},
     "831d80dd911001b29a9baedeed3a3a3e33d84bea0c32874ce481ba75e6982fc0"),
    ({'era': '6.7', 'seed': 0, 'blocks': 3000, 'plant': [{'path': 5, 'blocks': 200}, {'path': 40, 'blocks': 70}]},
     "018b730f8114e23213c753d5a5a14ebe993234a73b1c021125f3723304cd5674"),
    ({'era': '5.18', 'seed': 1, 'size': 2097152, 'plant': [(17, 500)]},
     "dbfed7de4bd547fba6b5d807e814f15b184f21a8197ce8583bf34e01c460651f"),
    ({'era': '6.5', 'seed': 2, 'blocks': 2000, 'stack_variant': 3},
     "40460aaf0d22d722e989382ca0c688cd3cde8e65a6e602573d911d85f8b99bc1"),
    ({'era': '6.7', 'seed': 0, 'blocks': 2000, 'slab_flag': False},
     "a323f86533a52d06d30b4524a1851e2057c46e8a0fc23fc2f7369f48212bc5b7"),
    ({'era': '4.6', 'seed': 1, 'blocks': 2000, 'stack_variant': 1, 'slab_flag': False,
      'plant': {'path': 3, 'blocks': 64}},
     "55ae9365a3c99f648c45ee8cb513458671a4fd47db68b2dc2496d86067fa7c4a"),
    ({'era': '5.11', 'seed': 0, 'blocks': 1},
     "4cc03e13d07e0c55e16763e212442e95610ccb11d151716ad065c282b10ced33"),
    ({'n_paths': 1, 'blocks': 200},
     "7e630c8c8b917c23462edb0ccee78dda5164525022dfa8c2fec6b91f767b48b1"),
    ({'blocks': 2500, 'seed': 9, 'zipf_a': 0.8},
     "e2b829f2bf2d64a3cc3a3accf21c4696d0ad22b2cea174bc84328029366ef61d"),
]
# sha256 of "\0".join(path_stacks(era=era, seed=1, n_paths=300)), recorded likewise
PATH_STACKS = {
    "4.6": "ed777017b9bf4388878031c8fdf1518b196221e88c45f31dc068cf75dfbdf0ae",
    "5.11": "bb78ff34cd5a8b3deb7fb7d2721c635ef1bbe4c7a76cbeeae83320da0ad7d4d6",
    "5.13": "13a07abc6d6f268449e2e572a6c8c1170ae823838bcd7295f87f61e80f000c8c",
    "5.18": "74eb0ac06a4f874a99bf37564c7f19e54dc918fca0e5404bd7cc5fe073f386d1",
    "6.5": "74eb0ac06a4f874a99bf37564c7f19e54dc918fca0e5404bd7cc5fe073f386d1",
    "6.7": "4437134ee297a712e1bc6ddeb33bd9a3103da2e4b2df6660bd2e6194f3e5dc22",
}


def _gen(**kw) -> tuple[bytes, dict]:
    b = io.BytesIO()
    stats = gen.generate(b, **kw)
    return b.getvalue(), stats


# --- byte identity -----------------------------------------------------------------------------

@pytest.mark.parametrize("kw,sha", HASHES, ids=[json.dumps(k, sort_keys=True) for k, _ in HASHES])
def test_output_is_byte_identical_to_the_original_generator(kw, sha):
    data, stats = _gen(**kw)
    assert hashlib.sha256(data).hexdigest() == sha
    assert stats["bytes"] == len(data)


@pytest.mark.parametrize("era", sorted(PATH_STACKS))
def test_path_stacks_unchanged(era):
    text = "\x00".join(gen.path_stacks(era=era, seed=1, n_paths=300))
    assert hashlib.sha256(text.encode()).hexdigest() == PATH_STACKS[era]


def test_the_bundled_example_is_still_what_the_generator_makes():
    ex = gzip.decompress((resources.files("pageowner_fast") / "data" / "example.txt.gz").read_bytes())
    assert _gen(blocks=300, era="6.7", seed=1)[0] == ex


def test_knobs_left_at_none_and_the_default_shape_change_nothing():
    plain = _gen(blocks=800, seed=4, n_paths=400)[0]
    assert _gen(blocks=800, seed=4, n_paths=400, shape="default")[0] == plain
    assert _gen(blocks=800, seed=4, n_paths=400, memcg_rate=None, thread_share=None, orders=None,
                plant_mixed=[])[0] == plain


# --- the shape knobs, measured on the dump ------------------------------------------------------

_BLOCK = re.compile(rb"(?m)^Page allocated via order (\d+), mask (0x[0-9a-f]+)\(")
_PFN = re.compile(rb"(?m)^PFN (0x[0-9a-f]+|\d+) type (\w+) Block (\d+) type (\w+) ")


def _blocks(data: bytes) -> list[bytes]:
    return data.split(b"\n\n")[:-1]


@pytest.fixture(scope="module")
def cgroup_heavy():
    data, stats = _gen(blocks=40_000, shape="cgroup-heavy-6.7", seed=3)
    return data, stats


def test_cgroup_heavy_rates_measured_on_the_text(cgroup_heavy):
    data, stats = cgroup_heavy
    blocks = _blocks(data)
    n = len(blocks)
    assert n == stats["blocks"] == 40_000
    charged = [re.search(rb"\nCharged (?:\(via objcg\) )?to (offline )?memcg (\S+)\n", b + b"\n") for b in blocks]
    hits = [c for c in charged if c]
    assert abs(len(hits) / n - 0.30) < 0.03
    cgroups = Counter((c.group(2), bool(c.group(1))) for c in hits)
    assert len({name for name, _ in cgroups}) == 3
    offline = sum(v for (name, off), v in cgroups.items() if off)
    assert abs(offline / len(hits) - 1 / 3) < 0.04
    assert len({name for (name, off) in cgroups if off}) == 1          # one cgroup is offline
    migrated = sum(b"\nPage has been migrated, last migrate reason: " in b for b in blocks)
    assert abs(migrated / n - 0.02) < 0.006
    early = sum(b", mask 0x0()," in b.split(b"\n", 1)[0] for b in blocks)
    assert early / n < 0.06


def test_cgroup_heavy_rates_measured_with_load(cgroup_heavy, tmp_path):
    data, _ = cgroup_heavy
    p = tmp_path / "d.txt"
    p.write_bytes(data)
    d = pf.load(p)
    n = len(d)
    assert abs(np.count_nonzero(d.pid != d.tgid) / n - 0.30) < 0.03
    share = {o: np.count_nonzero(d.order == o) / n for o in (0, 1, 2, 3, 9)}
    for o, want in {0: 0.80, 1: 0.08, 2: 0.05, 3: 0.05, 9: 0.02}.items():
        assert abs(share[o] - want) < 0.02, (o, share)
    assert sum(share.values()) == pytest.approx(1.0)
    # 40 user-space processes: the tgids of the threads are some of them
    assert 10 <= len(np.unique(d.tgid[d.pid != d.tgid])) <= 40
    # runs: consecutive blocks with one stack and one pid
    key = d.stack_id.astype(np.int64) * (1 << 32) + d.pid
    runs = 1 + np.count_nonzero(key[1:] != key[:-1])
    assert 2.5 < n / runs < 4.0


def test_each_knob_alone(tmp_path):
    data, _ = _gen(blocks=20_000, seed=2, migrate_rate=0.1, early_share=0.05)
    blocks = _blocks(data)
    mig = sum(b"\nPage has been migrated" in b for b in blocks) / len(blocks)
    assert abs(mig - 0.1) < 0.015
    early = sum(b"mask 0x0()" in b for b in blocks) / len(blocks)
    assert abs(early - 0.05) < 0.03
    data, _ = _gen(blocks=20_000, seed=2, run_length=8.0, processes=12, thread_share=0.0, early_share=0.0)
    p = tmp_path / "r.txt"
    p.write_bytes(data)
    d = pf.load(p)
    assert not np.any(d.pid != d.tgid)
    assert b"mask 0x0()" not in data
    key = d.stack_id.astype(np.int64) * (1 << 32) + d.pid
    assert 7.0 < len(d) / (1 + np.count_nonzero(key[1:] != key[:-1])) < 10.0
    user = np.array([b"entry_SYSCALL_64" in d.stacks[s] or b"asm_exc_page_fault" in d.stacks[s]
                     for s in d.stack_id])
    assert len(np.unique(d.tgid[user])) <= 12


def test_free_ts_share_and_era_6_1(tmp_path):
    data, stats = _gen(blocks=20_000, shape="6.1-long-running", seed=1)
    assert stats["era"] == "6.1" and stats["shape"]["free_ts_share"] == 0.97
    p = tmp_path / "d61.txt"
    p.write_bytes(data)
    d = pf.load(p)
    assert not d.malformed().get("absent")            # every field of the format is there
    for bit in (F.BAD_PID, F.BAD_TGID, F.BAD_COMM, F.BAD_TS, F.BAD_FREE_TS, F.BAD_PFN, F.BAD_ORDER):
        assert not np.any(d.bad & bit)
    nz = d.free_ts_ns != 0
    assert abs(np.count_nonzero(nz) / len(d) - 0.97) < 0.02
    assert np.all(d.free_ts_ns[nz] < d.ts_ns[nz])
    # the 6.1 layout: free_ts in every header, a decimal PFN, stacks from get_page_from_freelist
    first = data.split(b"\n", 2)
    assert re.fullmatch(rb"Page allocated via order \d+, mask 0x[0-9a-f]+\([^)]*\), pid \d+, "
                        rb"tgid \d+ \(.*\), ts \d+ ns, free_ts \d+ ns", first[0])
    assert re.match(rb"PFN \d+ type ", first[1])
    assert all(d.stacks[s].startswith(b" get_page_from_freelist+") or b"init_page_owner" in d.stacks[s]
               or b"cma_alloc" in d.stacks[s] for s in np.unique(d.stack_id))
    # nearly every block text is unique: nothing folds
    assert len(np.unique(d.header_id.astype(np.int64) << 32 | d.stack_id)) / len(d) > 0.95


def test_knob_errors():
    with pytest.raises(ValueError, match="unknown shape"):
        _gen(blocks=10, shape="nope")
    with pytest.raises(ValueError, match="no free_ts"):
        _gen(blocks=10, free_ts_share=0.5)
    with pytest.raises(ValueError, match="no memcg lines"):
        _gen(blocks=10, era="5.11", memcg_rate=0.1)
    with pytest.raises(ValueError, match="print no tgid"):
        _gen(blocks=10, era="5.13", thread_share=0.1)
    with pytest.raises(ValueError, match="more than the share"):
        _gen(blocks=10, thread_share=0.99)
    with pytest.raises(ValueError, match="between 0 and 1"):
        _gen(blocks=10, migrate_rate=1.5)
    with pytest.raises(ValueError, match="order distribution"):
        _gen(blocks=10, orders="0:80,x")
    with pytest.raises(ValueError, match="need memcg_rate"):
        _gen(blocks=10, memcgs=3)


# --- planted content: ground truth against an independent count ---------------------------------

@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    kw = dict(blocks=15_000, shape="cgroup-heavy-6.7", seed=5,
              plant_memcg=[{"memcg": "leaky.scope", "blocks": 300, "offline": True},
                           {"memcg": "batch.slice", "blocks": 120, "order": 2}],
              plant_mixed=[{"blocks": 90, "pageblocks": 6},
                           {"path": 0, "blocks": 40, "block_type": "Unmovable", "pageblocks": 4, "fill": 10}],
              plant_window=[{"start": 2_400_000_000, "end": 2_450_000_000, "blocks": 250},
                            {"start": 0, "end": 2_100_000_000}])
    data, stats = _gen(**kw)
    p = tmp_path_factory.mktemp("planted") / "dump.txt"
    p.write_bytes(data)
    return p, data, stats


def _stack_memcg(d) -> list[tuple[str, bool] | None]:
    out = []
    for text in d.stacks:
        m = re.search(rb"(?m)^Charged (?:\(via objcg\) )?to (offline )?memcg (\S+)$", text)
        out.append((m.group(2).decode(), bool(m.group(1))) if m else None)
    return out


def test_truth_memcg(planted):
    p, _, stats = planted
    d = pf.load(p)
    per_stack = _stack_memcg(d)
    count: Counter = Counter()
    pages: Counter = Counter()
    for sid, pg in zip(d.stack_id.tolist(), d.pages.tolist()):
        key = per_stack[sid]
        if key:
            count[key] += 1
            pages[key] += pg
    truth = {(e["memcg"], e["offline"]): (e["blocks"], e["pages"]) for e in stats["truth"]["memcg"]}
    assert truth == {k: (count[k], pages[k]) for k in count}
    assert truth[("leaky.scope", True)] == (300, 300)
    assert truth[("batch.slice", False)] == (120, 480)


def test_truth_mixed_pageblocks(planted):
    p, data, stats = planted
    d = pf.load(p)
    pfn_lines = _PFN.findall(data)
    assert len(pfn_lines) == len(d)
    page_t = np.array([m[1].decode() for m in pfn_lines])
    block_t = np.array([m[3].decode() for m in pfn_lines])
    block_n = np.array([int(m[2]) for m in pfn_lines])
    assert np.array_equal(page_t, np.array(F.MIGRATETYPES)[d.migratetype])
    mixed = page_t != block_t
    groups: dict = {}
    for i in np.flatnonzero(mixed).tolist():
        key = (d.stacks[d.stack_id[i]], page_t[i], block_t[i])
        g = groups.setdefault(key, [0, 0, set()])
        g[0] += 1
        g[1] += int(d.pages[i])
        g[2].add(int(block_n[i]))
    truth = {}
    for e in stats["truth"]["mixed"]:
        # the truth is keyed by call path; the dump by stack text with trailer lines: add them up
        for key, (b, pg, pbs) in groups.items():
            if key[0].startswith(e["stack"].encode()) and key[1:] == (e["page_type"], e["block_type"]):
                t = truth.setdefault((e["stack"], e["page_type"], e["block_type"]), [0, 0, set()])
                t[0] += b
                t[1] += pg
                t[2] |= pbs
        got = truth[(e["stack"], e["page_type"], e["block_type"])]
        assert (got[0], got[1], len(got[2])) == (e["blocks"], e["pages"], e["pageblocks"])
    assert sum(e["blocks"] for e in stats["truth"]["mixed"]) == int(mixed.sum())
    # the planted pageblocks: whole pageblocks of the one type, the culprits in them
    for pl in (x for x in stats["truth"]["plants"] if x["kind"] == "mixed"):
        pbs = pl["pageblock_numbers"]
        assert len(pbs) == {90: 6, 40: 4}[pl["blocks"]]
        inside = np.isin(block_n, pbs)
        assert set(block_t[inside]) == {pl["block_type"]}
        culprit = inside & (page_t != pl["block_type"])
        assert int(culprit.sum()) == pl["blocks"] == pl["pages"]
        assert {d.stacks[s] for s in d.stack_id[culprit]} == {pl["stack"].encode()}
        fillers = inside & ~culprit
        assert int(fillers.sum()) == pl["fill_per_pageblock"] * len(pbs)


def test_truth_time_windows(planted):
    p, _, stats = planted
    d = pf.load(p)
    w_planted, w_early = stats["truth"]["windows"]
    for w in (w_planted, w_early):
        sel = (d.ts_ns >= w["start"]) & (d.ts_ns < w["end"])
        assert (w["blocks"], w["pages"]) == (int(sel.sum()), int(d.pages[sel].sum()))
    assert w_planted["planted_blocks"] == 250 and w_planted["blocks"] >= 250
    assert w_early["planted_blocks"] == 0 and w_early["blocks"] > 0     # the early-boot blocks


def test_planting_changes_no_other_block_text(planted):
    _, data, stats = planted
    base, _ = _gen(blocks=15_000, shape="cgroup-heavy-6.7", seed=5)

    def texts(raw):  # block text without its PFN line
        return Counter(re.sub(rb"(?m)^PFN [^\n]*\n", b"", b) for b in _blocks(raw))
    extra = texts(data) - texts(base)
    assert sum(extra.values()) == stats["planted_blocks"] == 300 + 120 + 90 + 40 + 10 * 4 + 32 * 6 + 250
    assert not texts(base) - texts(data)


# --- pageowner-fast gen ---------------------------------------------------------------------------

def test_cli_writes_what_generate_writes(tmp_path, capsys):
    out, truth = tmp_path / "g.txt", tmp_path / "t.json"
    rc, _, err = run_cli(["gen", "--shape", "cgroup-heavy-6.7", "--blocks", "3000", "--seed", "2",
                          "--memcg-rate", "25%", "--plant-memcg", "x.scope:40:offline",
                          "--plant-mixed", ":30:Movable:3", "--plant-window", "2.2s:2300ms:20",
                          "--truth", truth, "--stats", out], capsys=capsys)
    assert rc == 0
    data, stats = _gen(blocks=3000, seed=2, shape="cgroup-heavy-6.7", memcg_rate=0.25,
                       plant_memcg=[{"memcg": "x.scope", "blocks": 40, "offline": True}],
                       plant_mixed=[{"path": None, "blocks": 30, "block_type": "Movable", "pageblocks": 3}],
                       plant_window=[{"start": 2_200_000_000, "end": 2_300_000_000, "blocks": 20}])
    assert out.read_bytes() == data
    assert json.loads(truth.read_text()) == stats["truth"]
    summary = json.loads(err.strip().splitlines()[-1])
    assert summary["blocks"] == stats["blocks"] and "truth" not in summary


@pytest.mark.parametrize("argv,msg", [
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["--era", "9"], "invalid choice: '9'"),
    (["--memcg-rate", "2"], "a share must be between 0 and 1"),
    (["--orders", "0:80,9"], "bad order distribution"),
    (["--plant-mixed", "x"], "expected [PATH]:BLOCKS"),
    (["--blocks", "5", "--free-ts-share", "0.5"], "era 6.7 dumps have no free_ts"),
    (["--blocks", "5", "--paths", "50", "--plant", "99999:3"], "plant path 99999 out of range"),
])
def test_cli_bad_options_are_one_line_usage_errors(argv, msg, tmp_path, capsys):
    from pageowner_fast.cli.gen import main
    with pytest.raises(UsageError, match=re.escape(msg)) as e:
        main(argv + [str(tmp_path / "o.txt")])
    assert "\n" not in str(e.value) and str(e.value).startswith("gen: ")
    rc, out, err = run_cli(["gen"] + argv + [tmp_path / "o.txt"], capsys=capsys)
    assert rc == 1 and out == "" and err.count("\n") == 1 and "usage:" not in err
    assert not (tmp_path / "o.txt").exists()


def test_cli_help(capsys):
    rc, out, _ = run_cli(["gen", "--help"], capsys=capsys)
    assert rc == 0 and out.startswith("usage: pageowner-fast gen") and "cgroup-heavy-6.7" in out
