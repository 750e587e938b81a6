"""A progress bar on stderr for long runs when stderr is a terminal; silent otherwise."""
import os
import select
import subprocess
import sys

import pytest

pty = pytest.importorskip("pty")


def _run_on_pty(args, tmp_path):
    import fcntl
    import struct
    import termios
    m, s = pty.openpty()
    fcntl.ioctl(s, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    env = dict(os.environ)
    env.pop("PAGEOWNER_FAST_NO_PROGRESS", None)
    p = subprocess.Popen([sys.executable, "-m", "pageowner_fast", *map(str, args)],
                         stdout=s, stderr=s, env=env)
    os.close(s)
    out = b""
    while True:
        r, _, _ = select.select([m], [], [], 30)
        if not r:
            break
        try:
            b = os.read(m, 65536)
        except OSError:
            break
        if not b:
            break
        out += b
    os.close(m)
    return p.wait(), out


@pytest.fixture(scope="module")
def big_dump(tmp_path_factory):
    from pageowner_fast import gen
    path = tmp_path_factory.mktemp("p") / "big.txt"
    with open(path, "wb") as f:
        gen.generate(f, size=70 << 20, seed=5)
    return path


def test_bar_on_a_terminal(big_dump, tmp_path):
    rc, out = _run_on_pty(["sort", big_dump, tmp_path / "o.txt"], tmp_path)
    assert rc == 0
    assert b"reading:" in out and b"100%" in out


def test_silent_when_not_a_terminal(big_dump, tmp_path):
    env = dict(os.environ)
    env.pop("PAGEOWNER_FAST_NO_PROGRESS", None)
    p = subprocess.run([sys.executable, "-m", "pageowner_fast", "sort", big_dump, tmp_path / "o.txt"],
                       capture_output=True, env=env)
    assert p.returncode == 0
    assert p.stderr == b"" and p.stdout == b""
