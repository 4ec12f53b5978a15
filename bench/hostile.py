"""Hostile floods next to a quiet run (issue 20): what an ordinary user
program flooding the system costs the guest and the host.

Each row boots the whole system, starts `run flood MODE 5` (os/tests/flood.c:
5 s of virtual time of one request in a loop, the same floods the tests in
tests/test_floods.py run) and, inside that window, the kv workload
(`run wl kv 300`). The quiet row is the same workload with no flood.
Per row: the flood's requests and how many were answered as a user's, the
workload's answers and its virtual time, the console bytes and event lines
the host read in the window, and host seconds. A flood that costs the host
much more than a quiet run, or slows the workload's virtual time, is the
finding; both are figures, not pass/fail."""

import time

from faultinj import bootimage
from faultinj.console import Console
from faultinj.qemu import Qemu

MODES = ("rslist", "getpub", "srvpid", "rs", "sysctl", "ds", "pm", "pmtree", "kernel", "out", "tty",
         "spin", "echo", "dslookup")
SECS = 5
LOAD = 300


def _window(q, con, mode):
    """One row: (flood_done or None, wl_done, the workload's virtual usec,
    console bytes, event lines, host seconds)."""
    before_text = len(q.serial.text)
    m = con.mark()
    t0 = time.monotonic()
    if mode:
        args = SECS
        if mode == "pm":
            con.run("run flood park")
            args = f"{SECS} {con.wait_event('spawn', since=m, name='flood').int('pid')}"
        con.run(f"run flood {mode} {args}")
        con.wait_event("flood_start", since=m, mode=mode, timeout=120)
    wm = con.mark()
    wl = con.workload("kv", LOAD, timeout=300)
    wl_virt = wl.t - con.wait_event("wl_start", since=wm, timeout=10).t
    done = con.wait_event("flood_done", since=m, mode=mode, timeout=600) if mode else None
    host = time.monotonic() - t0
    lines = len(q.serial.events) - m
    return done, wl, wl_virt, len(q.serial.text) - before_text, lines, host


def row(mode):
    mods = bootimage.modules(bootimage.system() + [("flood", "noexec")])
    with Qemu(bootimage.kernel_path(), mods, timeout=900) as q:
        con = Console(q)
        con.wait_ready(timeout=60)
        return _window(q, con, mode)


def report():
    print(f"Hostile floods ({SECS} s of virtual time each, `run wl kv {LOAD}` inside it) "
          "next to a quiet run (the workload alone):")
    print(f"  {'flood':10} {'requests':>10} {'as user':>9} {'wl answered':>11} "
          f"{'wl virt ms':>10} {'console KB':>10} {'events':>7} {'host s':>7}")
    for mode in (None,) + MODES:
        try:
            done, wl, wl_virt, nbytes, lines, host = row(mode)
        except Exception as e:      # a figure, not a verdict: say what went wrong
            print(f"  {mode or 'quiet':10} failed: {type(e).__name__}: {str(e)[:120]}")
            continue
        req = done.int("n") if done else 0
        ok = done.int("ok") if done else 0
        print(f"  {mode or 'quiet':10} {req:>10} {ok:>9} {wl.int('answered'):>11} "
              f"{wl_virt / 1000:>10.0f} {nbytes / 1024:>10.0f} "
              f"{lines:>7} {host:>7.1f}")
