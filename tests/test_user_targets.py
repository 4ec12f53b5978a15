"""What a user meets first: make help lists every target with one line;
make run's console shows the shell, not the event lines, which go to a
log file it names; make qemu-gdb boots the system stopped until gdb
attaches, and prints how to attach."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from faultinj import bootimage, contract

ROOT = bootimage.ROOT


def env():
    e = dict(os.environ)
    e.pop("MAKEFLAGS", None)
    return e


def test_make_help_lists_every_target():
    r = subprocess.run(["make", "-s", "-C", str(ROOT), "help"], capture_output=True, text=True,
                       env=env(), timeout=60)
    assert r.returncode == 0, r.stderr
    mk = (ROOT / "Makefile").read_text()
    phony = set()
    for line in re.findall(r"^\.PHONY:(.*)$", mk, re.M):
        phony |= {t for t in line.split() if not t.startswith("$(")}
    listed = {}
    for line in r.stdout.splitlines():
        name, _, text = line.strip().partition(" ")
        listed[name] = text.strip()
    assert phony <= set(listed), phony - set(listed)
    assert {"qemu-gdb", "run", "campaign", "gdb", "help"} <= set(listed)
    assert all(listed.values()), listed           # each with its line
    assert len(r.stdout.splitlines()) == len(listed)


def read_until(stream, text, limit=200000):
    seen = b""
    while text.encode() not in seen:
        b = stream.read(1)
        if not b or len(seen) > limit:
            raise AssertionError(f"no {text!r} in:\n{seen.decode(errors='replace')[-3000:]}")
        seen += b
    return seen.decode(errors="replace")


def run_console(args, log, *, halt_after="# "):
    """make run's program with the shell driven through a pipe: wait for
    the prompt, ask for help, halt."""
    p = subprocess.Popen([sys.executable, "-m", "faultinj", "run", "--events-log", str(log),
                          *args], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=dict(env(), OS_BUILD_DIR=str(bootimage.BUILD)))
    try:
        seen = read_until(p.stdout, halt_after)
        p.stdin.write(b"help\n")
        p.stdin.flush()
        seen += read_until(p.stdout, "commands:")
        p.stdin.write(b"halt\n")
        p.stdin.flush()
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return seen + out.decode(errors="replace"), err.decode(errors="replace")


def test_make_run_console_is_quiet_events_go_to_the_log(tmp_path, os_built):
    log = tmp_path / "events.log"
    out, err = run_console([], log)
    assert f"events: {log}" in err and "EVENTS=1" in err, err
    assert "qemu exit status 33 (clean halt)" in err, err
    assert contract.TEXTS["KERNEL_BANNER"] in out and "commands:" in out, out
    assert "#EV" not in out and "\x1e" not in out, out[:3000]
    lines = log.read_text().splitlines()
    assert lines and all(line.startswith("#EV ") for line in lines), lines[:5]
    assert any("ev=boot " in line for line in lines)
    assert any('ev=shell_done cmd="halt"' in line for line in lines), lines[-5:]


def test_make_run_events_1_shows_them_too(tmp_path, os_built):
    log = tmp_path / "events.log"
    out, _ = run_console(["--events"], log)
    # (split, not splitlines: that splits at the frame byte too)
    shown = [line.rstrip("\r") for line in out.split("\n") if line.startswith("\x1e#EV ")]
    assert shown and [line[1:] for line in shown] == log.read_text().split("\n")[:-1]


@pytest.mark.skipif(shutil.which("gdb") is None, reason="gdb not installed (make deps)")
def test_make_qemu_gdb_waits_for_gdb(tmp_path, os_built):
    p = subprocess.Popen(["make", "-s", "-C", str(ROOT), f"BUILD={os_built}", "qemu-gdb",
                          f"EVENTS_LOG={tmp_path / 'events.log'}"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env(), start_new_session=True)
    try:
        said = read_until(p.stderr, "\n", 10000) + read_until(p.stderr, "\n") + \
            read_until(p.stderr, "\n")
        m = re.search(r"make gdb ATTACH=(\S+)", said)
        assert m and "waiting for gdb" in said, said
        sock = m.group(1)
        # said once the stub is there: a make gdb at once finds it
        assert os.path.exists(sock), sock
        # stopped: nothing printed until gdb lets it go
        g = subprocess.run(["make", "-s", "-C", str(ROOT), f"BUILD={os_built}", "gdb",
                            f"ATTACH={sock}",
                            "GDBARGS=-nx -batch -ex 'printf \"eip=%#x\\n\", $eip'"],
                           capture_output=True, text=True, env=env(), timeout=120)
        assert "eip=0xfff0" in g.stdout, g.stdout + g.stderr
        assert g.returncode == 0, g.stderr
        # gdb detached: the system boots to its shell, which halts it
        read_until(p.stdout, "# ")
        p.stdin.write(b"halt\n")
        p.stdin.flush()
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0 and b"clean halt" in err, err
    finally:
        if p.poll() is None:
            os.killpg(p.pid, 9)
            p.wait()
