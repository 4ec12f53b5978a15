"""make gdb: Debian's gdb, in batch mode, on the system booted by the
make gdb machinery (faultinj/debugger.py): hardware breakpoints in RS work
from the first instruction and RS's data reads by name; a campaign
experiment replayed under gdb (make gdb EXP=...) gives the campaign's own
trace; a second client of a held stub is told who holds it at once."""

import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from faultinj import bootimage
from faultinj.events import parse_text

ROOT = bootimage.ROOT

pytestmark = pytest.mark.skipif(shutil.which("gdb") is None, reason="gdb not installed (make deps)")


def make_gdb(build, *args, gdbargs="", timeout=120, **popen):
    cmd = ["make", "-s", "-C", str(ROOT), f"BUILD={build}", "gdb", *args,
           f"GDBARGS=-nx -batch {gdbargs}"]
    env = dict(os.environ)
    env.pop("MAKEFLAGS", None)
    if popen:
        return subprocess.Popen(cmd, env=env, text=True, start_new_session=True, **popen)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


def test_hbreak_in_rs_from_first_instruction(tmp_path, os_built):
    cmds = tmp_path / "cmds.gdb"
    cmds.write_text(
        "printf \"at start: eip=%#x\\n\", $eip\n"
        # what a software breakpoint does: an int3 written into memory
        "set *(unsigned char *)kmain = 0xcc\n"
        "printf \"kmain byte=%#x\\n\", *(unsigned char *)kmain\n"
        "hbreak-in rs do_request\n"
        "continue\n"
        "printf \"stopped in %s\\n\", current->name\n"
        "print rproc[0].pub.label\n"
        "print rproc[1].pub.label\n"
        "bt 2\n"
        "printf \"kmain byte now=%#x\\n\", *(unsigned char *)kmain\n")
    r = make_gdb(os_built, gdbargs=f"-x {cmds}")
    out = r.stdout + r.stderr
    assert "at start: eip=0xfff0\n" in out and "kmain byte=0xcc\n" in out, out
    # the loader copied the kernel in again after the first instruction: the
    # int3 is gone, which is why breakpoints set this early are hardware ones
    assert "kmain byte now=0x55\n" in out, out
    assert re.search(r"Breakpoint 1, do_request \(m=0x[0-9a-f]+\) at os/servers/rs/request.c", out), out
    assert "stopped in rs\n" in out, out
    assert '$1 = "rs"' in out and '$2 = "ds"' in out, out
    # the backtrace goes on into RS's main loop (its request handling)
    assert re.search(r"#1 .* in \w+ \(.*\) at os/servers/rs/main.c", out), out


def test_one_service_symbols(tmp_path, os_built):
    """SVC=rs: only RS's symbols beside the kernel's, so addresses from
    0x40000000 read as RS's code; `svc` switches to another program."""
    r = make_gdb(os_built, "SVC=rs", gdbargs=" ".join([
        "-ex 'hbreak rs_loop_once'", "-ex continue", "-ex 'print $proc_is(\"rs\")'",
        "-ex 'print rproc[0].pub.label'", "-ex 'info symbol 0x40001000'",
        "-ex 'svc kv'", "-ex 'info symbol 0x40001000'"]))
    out = r.stdout + r.stderr
    assert "symbols: kernel, rs\n" in out, out
    assert "Breakpoint 1, rs_loop_once ()" in out and "$1 = 1" in out, out
    assert '$2 = "rs"' in out, out
    assert re.search(r"in section \.text of \S*/rs\.elf", out), out
    assert "symbols: kernel, kv" in out and re.search(r"in section \.text of \S*/kv\.elf", out), out


def test_replay_under_gdb_is_the_campaign_run(tmp_path, os_built):
    """make gdb EXP=<id> runs the experiment's own plan: continued to the
    end under gdb, it prints the trace the campaign's runner records."""
    from campaigns import runner, spec
    sp = tmp_path / "one.spec"
    sp.write_text("campaign one\nseed 1\ntimeout 30\nkv crash trigger=nth:20\n")
    c = spec.load(str(sp))
    exp = c.experiments[0]
    want = runner.run(exp, campaign=c)
    log = tmp_path / "console.log"
    r = make_gdb(os_built, f"EXP={exp.id}", f"SPEC={sp}", f"CONSOLE={log}",
                 gdbargs="-ex 'printf \"at %#x\\n\", $eip' -ex continue")
    out = r.stdout + r.stderr
    # the guest's own end is the session's normal end: make gdb exits 0
    assert r.returncode == 0 and "the guest ended the run (halt" in r.stderr, out
    from faultinj.session import kernel_image
    # stopped inside plan_point, right after its write of plan_mark (the
    # watchpoint every campaign machine stops on)
    start, size = kernel_image().symbol("plan_point")
    at = [int(w, 16) for w in re.findall(r"^at (0x[0-9a-f]+)$", out, re.M)]
    assert at and start < at[0] < start + size, out
    got = [e.raw for e in parse_text(log.read_text())]
    assert want["outcome"] == "recovered"
    assert got == want["events"]


def _wait_line(stream, pattern, timeout=60):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        seen.append(line)
        m = re.search(pattern, line)
        if m:
            return m
    raise AssertionError("no line matching %r in:\n%s" % (pattern, "".join(seen)))


def test_second_client_is_told_who_holds_the_stub(tmp_path, os_built, fi_os):
    # the harness holds a stub (a Session's GdbClient)
    from faultinj.gdbstub import GdbClient, GdbConnectionError
    s = fi_os(wait_ready=False)
    sock = s.q.gdb_socket
    t0 = time.monotonic()
    with pytest.raises(GdbConnectionError, match=rf"held by {os.getpid()} \(faultinj harness"):
        GdbClient(sock, timeout=30).connect()
    r = make_gdb(os_built, f"ATTACH={sock}", timeout=30)
    assert r.returncode != 0
    assert f"the stub at {sock} is held by {os.getpid()} (faultinj harness" in r.stderr, r.stderr
    assert time.monotonic() - t0 < 10
    s.close()

    # gdb started by make gdb holds one: a second make gdb is told gdb's pid
    stop = tmp_path / "stop"
    first = make_gdb(os_built, gdbargs=f"-ex 'shell while [ ! -e {stop} ]; do sleep 0.1; done'",
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        d = _wait_line(first.stdout, r"console: tail -f (\S+)/console\.log").group(1)
        sock = os.path.join(d, "gdb.sock")
        t0 = time.monotonic()
        r = make_gdb(os_built, f"ATTACH={d}", timeout=30)
        assert r.returncode != 0
        m = re.search(rf"the stub at {re.escape(sock)} is held by (\d+) \(gdb started by make gdb",
                      r.stderr)
        assert m, r.stderr
        assert open(f"/proc/{m.group(1)}/comm").read().strip() == "gdb"
        assert time.monotonic() - t0 < 10
    finally:
        stop.touch()
        first.communicate(timeout=60)
    assert not os.path.exists(d)              # QEMU and its files went with gdb
