"""`pageowner-fast sort` parses its command line as page_owner_sort's getopt_long loop does.

Every expected message, exit code and output below was observed by running the real C tool
built from the kernel's latest source (/opt/pos/page_owner_sort) with the same arguments while
writing these tests (getopt's own messages start with its argv[0], which is `pageowner-fast`
for us). The tests do not need the C tool.
"""
from __future__ import annotations

import pytest

from conftest import run_cli

# page_owner_sort -h, observed byte for byte (stdout, exit 0).
C_USAGE = (
    "Usage: ./page_owner_sort [OPTIONS] <input> <output>\n-a\t\t\tSort by memory allocation time.\n"
    "-m\t\t\tSort by total memory.\n-n\t\t\tSort by task command name.\n-p\t\t\tSort by pid.\n"
    "-P\t\t\tSort by tgid.\n-s\t\t\tSort by the stacktrace.\n"
    "-t\t\t\tSort by number of times record is seen (default).\n-M\t\t\tSort by module name.\n\n"
    "--pid <pidlist>\t\tSelect by pid. This selects the information of\n"
    "\t\t\tblocks whose process ID numbers appear in <pidlist>.\n"
    "--tgid <tgidlist>\tSelect by tgid. This selects the information of\n"
    "\t\t\tblocks whose Thread Group ID numbers appear in <tgidlist>.\n"
    "--name <cmdlist>\tSelect by command name. This selects the information\n"
    "\t\t\tof blocks whose command name appears in <cmdlist>.\n"
    "--module <modlist>\tSelect by module name. This selects the information\n"
    "\t\t\tof blocks whose module name appears in <modlist>.\n"
    "--cull <rules>\t\tCull by user-defined rules. <rules> is a single\n"
    "\t\t\targument in the form of a comma-separated list with some\n"
    "\t\t\tcommon fields predefined (pid, tgid, comm, stacktrace, allocator, module)\n"
    "--sort <order>\t\tSpecify sort order as: [+|-]key[,[+|-]key[,...]]\n")

H = b"Page allocated via order %d, mask 0x112cca(GFP_HIGHUSER_MOVABLE), pid %d, tgid %d (%b), ts %d ns\n"
S = b" post_alloc_hook+0xca/0xd0\n"
# pids 2 (twice), 1, 3; orders 0, 2, 1; comms bb, cc, aa
DUMP = b"".join(H % (o, p, p, c, t) + S + b"\n"
                for o, p, c, t in [(0, 2, b"bb", 300), (2, 1, b"cc", 100), (1, 3, b"aa", 200),
                                   (0, 2, b"bb", 400)])
BY_TIMES = b"2 times, 2 pages, PID 2\n1 times, 4 pages, PID 1\n1 times, 2 pages, PID 3\n"
BY_PAGES = b"1 times, 4 pages, PID 1\n2 times, 2 pages, PID 2\n1 times, 2 pages, PID 3\n"
BY_PID_DESC = b"1 times, 2 pages, PID 3\n2 times, 2 pages, PID 2\n1 times, 4 pages, PID 1\n"


@pytest.fixture
def files(tmp_path):
    src = tmp_path / "in.txt"
    src.write_bytes(DUMP)
    return src, tmp_path / "out.txt"


def sort(capsys, *args):
    rc, out, err = run_cli(["sort", *map(str, args)], capsys=capsys)
    assert "Traceback" not in err
    return rc, out, err


def output_of(capsys, files, *args):
    src, out = files
    rc, stdout, err = sort(capsys, *[src if a == "IN" else out if a == "OUT" else a for a in args])
    assert (rc, stdout, err) == (0, "", "")
    return out.read_bytes()


# --- sort flags -------------------------------------------------------------------------------

@pytest.mark.parametrize("flags", [["-a", "-m"], ["-p", "-t"], ["-pt"], ["-s", "-n"], ["-M", "-P"]])
def test_two_different_sort_flags_are_a_usage_error(capsys, files, flags):
    rc, out, err = sort(capsys, *flags, *files)
    assert rc == 1
    assert out == C_USAGE and err == ""
    assert not files[1].exists()


@pytest.mark.parametrize("flags", [["-a", "-a"], ["-pp"], ["-p", "-d"], ["-pd"]])
def test_repeating_one_sort_flag_is_fine(capsys, files, flags):
    rc, out, err = sort(capsys, *flags, *files)
    assert rc == 0 and out == ""


def test_sort_flag_with_cull(capsys, files):
    assert output_of(capsys, files, "--cull=pid", "IN", "OUT") == BY_TIMES
    assert output_of(capsys, files, "--cull=pid", "-m", "IN", "OUT") == BY_PAGES


# --- long options -----------------------------------------------------------------------------

def test_unambiguous_prefix_of_a_long_option(capsys, files):
    assert output_of(capsys, files, "--cull=pid", "--so=-p", "IN", "OUT") == BY_PID_DESC
    assert output_of(capsys, files, "--cu=name", "IN", "OUT") == (
        b"2 times, 2 pages, task_comm_name: bb\n1 times, 2 pages, task_comm_name: aa\n"
        b"1 times, 4 pages, task_comm_name: cc\n")


def test_separate_argument_is_taken_even_if_it_looks_like_an_option(capsys, files):
    # `--sort -p`: -p is --sort's value (pid descending), not the -p flag (pid ascending)
    assert output_of(capsys, files, "--cull=pid", "--sort", "-p", "IN", "OUT") == BY_PID_DESC
    # `--so IN OUT`: the input file name becomes the sort keys
    rc, out, err = sort(capsys, "--so", *files)
    assert rc == 1 and out == ""
    assert err == f"wrong argument after --sort option:{files[0]}\n"


def test_repeated_cull_ors_the_keys(capsys, files):
    assert output_of(capsys, files, "--cull=pid,name", "--cull=tgid", "IN", "OUT") == (
        b"2 times, 2 pages, PID 2, TGID 2, task_comm_name: bb\n"
        b"1 times, 4 pages, PID 1, TGID 1, task_comm_name: cc\n"
        b"1 times, 2 pages, PID 3, TGID 3, task_comm_name: aa\n")


# --- operands -----------------------------------------------------------------------------------

@pytest.mark.parametrize("order", [
    ["IN", "--cull=pid", "OUT", "-m"],
    ["IN", "OUT", "--cull", "pid", "-m"],
    ["-m", "IN", "OUT", "--cull=pid"],
])
def test_operands_anywhere(capsys, files, order):
    assert output_of(capsys, files, *order) == BY_PAGES


def test_double_dash_ends_options(capsys, files):
    assert output_of(capsys, files, "--cull=pid", "--", "IN", "OUT") == BY_TIMES
    # after `--`, "-a" is a file name (page_owner_sort: usage + "open: : No such file or
    # directory", exit 1)
    rc, out, err = sort(capsys, "--", "-a", files[1])
    assert rc == 1 and err == "pageowner-fast: error: -a: no such file\n"


@pytest.mark.parametrize("args", [[], ["IN"], ["-m", "IN"], ["--cull=pid", "IN"]])
def test_missing_operands(capsys, files, args):
    """page_owner_sort's usage on stdout, and (our addition) one line on stderr saying why."""
    rc, out, err = sort(capsys, *[files[0] if a == "IN" else a for a in args])
    assert (rc, out) == (1, C_USAGE)
    assert err == ("pageowner-fast: sort needs <input> and <output> ('-' for standard output); "
                   "pageowner-fast sort --help lists the options\n")


def test_extra_operand_is_ignored_with_a_warning(capsys, files):
    # page_owner_sort silently uses the first two operands
    src, outp = files
    rc, out, err = sort(capsys, src, outp, "extra")
    assert rc == 0
    assert err == "pageowner-fast: warning: extra operands ignored: extra\n"


# --- --cull / --sort values -------------------------------------------------------------------

@pytest.mark.parametrize("value", ["comm", "txt", "T", "at", "ft", "", "pid,", ",pid", "pid,,st",
                                   "PID", "pid name"])
def test_bad_cull_values(capsys, files, value):
    rc, out, err = sort(capsys, f"--cull={value}", *files)
    assert (rc, out) == (1, "")
    assert err == f"wrong argument after --cull option:{value}\n"
    assert not files[1].exists()


@pytest.mark.parametrize("value", ["foo", "", "f", "free", "p,", "--p", "+-p", "comm"])
def test_bad_sort_values(capsys, files, value):
    rc, out, err = sort(capsys, f"--sort={value}", *files)
    assert (rc, out) == (1, "")
    assert err == f"wrong argument after --sort option:{value}\n"


@pytest.mark.parametrize("opt,value", [("pid", "abc"), ("pid", ""), ("pid", "1,"), ("pid", "1,,2"),
                                       ("pid", "0x10"), ("tgid", "x"), ("tgid", "3a")])
def test_bad_pid_lists(capsys, files, opt, value):
    rc, out, err = sort(capsys, f"--{opt}={value}", *files)
    assert (rc, out) == (1, "")
    assert err == f"wrong/invalid {opt} in from the command line:{value}\n"


def test_pid_list_accepts_what_strtol_accepts(capsys, files):
    assert output_of(capsys, files, "--cull=pid", "--pid=1,3", "IN", "OUT") == (
        b"1 times, 4 pages, PID 1\n1 times, 2 pages, PID 3\n")
    assert output_of(capsys, files, "--cull=pid", "--pid= 3", "IN", "OUT") == b"1 times, 2 pages, PID 3\n"
    assert output_of(capsys, files, "--cull=pid", "--pid=+3", "IN", "OUT") == b"1 times, 2 pages, PID 3\n"
    # a filter adds its column to the cull line (docs/compatibility.md, "Output text")
    assert output_of(capsys, files, "--cull=pid", "--tgid=1", "IN", "OUT") == (
        b"1 times, 4 pages, PID 1, TGID 1\n")


def test_empty_name_and_unknown_module_select_nothing(capsys, files):
    assert output_of(capsys, files, "--name=", "IN", "OUT") == b""
    assert output_of(capsys, files, "--module=a", "IN", "OUT") == b""


# --- help, unknown options ------------------------------------------------------------------------

@pytest.mark.parametrize("opt", ["-h", "--help", "--he"])
def test_help_exits_0(capsys, opt):
    rc, out, err = sort(capsys, opt)
    assert rc == 0 and err == ""
    # the tool's usage naming this program, then a few lines on our additions
    assert out.startswith(C_USAGE.replace("Usage: ./page_owner_sort", "Usage: pageowner-fast sort"))


@pytest.mark.parametrize("args,message", [
    (["-z"], "invalid option -- 'z'"),
    (["-mz"], "invalid option -- 'z'"),
    (["--zzz"], "unrecognized option '--zzz'"),
    (["--sort"], "option '--sort' requires an argument"),
    (["--cull"], "option '--cull' requires an argument"),
    (["--help=3"], "option '--help' doesn't allow an argument"),
])
def test_getopt_messages(capsys, files, args, message):
    rc, out, err = sort(capsys, *args, *files) if args[0] not in ("--sort", "--cull") else \
        sort(capsys, *files, *args)
    assert rc == 1
    assert out == C_USAGE
    assert err == f"pageowner-fast: {message}\n"
