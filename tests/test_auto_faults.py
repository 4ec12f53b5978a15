"""Faults at automatic basic-block sites (kernel/fi_auto.c): for every fault
type, armed at a site of kv the workload reaches (found by a golden run),
it fires exactly once, its effect is in the trace as the type says, and
running the experiment again gives the same trace. Also: a flipped branch
in the kernel, arming from the shell, and the sites a build lists."""

import json
import subprocess
import sys

import pytest

from campaigns import golden
from faultinj import autosites, bootimage
from tests.one_experiment import events as _kinds, run

TYPES = ("flip_branch", "corrupt_int", "null_ptr", "corrupt_ptr", "skip_insn", "no_store",
         "stuck_loop", "crash", "hang")


@pytest.fixture(scope="module")
def reached(os_built):
    """{binary: {site: hits}} of a fault-free run with the kv client."""
    return golden.run_one("kv")


def _site_for(reached, binary, fault, skip=0):
    hits = reached[binary]
    cands = [s for s in autosites.sites(bootimage.program_path(binary))
             if hits.get(s.marker, 0) >= 1 and fault in s.faults()]
    assert cands, f"no executed site of {binary} takes {fault}"
    return cands[min(skip, len(cands) - 1)]


def _run(line):
    return run(line, timeout=30, name="auto")


@pytest.mark.parametrize("fault", TYPES)
def test_fault_type_fires_once_with_its_effect_and_replays(reached, fault):
    site = _site_for(reached, "kv", fault)
    line = f"kv {fault} site={site.name} trigger=nth:1" + (" arg=3" if "corrupt" in fault else "")
    a = _run(line)
    assert a["error"] is None, a["error"]
    fired = _kinds(a, "fi_fired")
    assert len(fired) == 1 and fired[0].get("site") == site.marker, fired
    effects = _kinds(a, "fi_effect")
    assert len(effects) == 1, effects
    eff = effects[0]
    what, before, after = eff.get("what"), int(eff.get("before"), 16), int(eff.get("after"), 16)
    target = site.targets.get(fault, (site.addr,))[0]
    assert int(eff.get("pc"), 16) == target
    if fault == "flip_branch":
        assert what in ("taken_to_fallthrough", "fallthrough_to_taken") and before != after
    elif fault == "corrupt_int":
        assert what in ("register", "memory") and before ^ after == 1 << 3
    elif fault == "null_ptr":
        assert what == "pointer" and after == 0
    elif fault == "corrupt_ptr":
        assert what == "pointer" and before ^ after == 1 << 3
    elif fault in ("skip_insn", "no_store"):
        assert what == "skipped" and after == target + site.targets[fault][1]
    elif fault == "stuck_loop":
        # the backward branch now always goes back; the loop may still
        # leave by another exit (EDFI's stuck-at loop), or spin for good
        assert what == "loop_stuck" and after < before
    elif fault == "crash":
        assert what == "wild_jump"
        assert any(" ev=fault " in e and "proc=kv" in e for e in a["events"])
        assert a["outcome"] == "recovered", a["why"]
    elif fault == "hang":
        assert what == "spin" and a["outcome"] == "recovered", a["why"]
    assert a["activated"]
    b = _run(line)
    assert b["events"] == a["events"] and b["outcome"] == a["outcome"]


def test_kernel_branch_flipped_at_an_automatic_site(reached):
    """The kernel's own blocks take faults too, in ring 0."""
    site = _site_for(reached, "kernel", "flip_branch", skip=5)
    r = _run(f"kernel flip_branch site={site.name} trigger=nth:1")
    assert r["error"] is None, r["error"]
    assert len(_kinds(r, "fi_fired")) == 1
    eff = _kinds(r, "fi_effect")
    assert len(eff) == 1 and eff[0].get("proc") == "kernel", eff
    assert eff[0].get("what") in ("taken_to_fallthrough", "fallthrough_to_taken")


def test_sites_are_listed_with_function_line_and_address(os_built):
    out = subprocess.run([sys.executable, "-m", "faultinj", "sites", "--json", "--kind", "auto"],
                         cwd=bootimage.ROOT, capture_output=True, text=True, check=True).stdout
    sites = json.loads(out)
    assert all(s["function"] and s["file"].startswith("os/") and s["line"] > 0 and s["addr"]
               for s in sites), [s for s in sites if not (s["function"] and s["line"] > 0)][:3]
    bins = {s["binary"] for s in sites}
    assert {"kernel", "rs", "ds", "vm", "pm", "mem", "tty", "kv", "echo"} <= bins
    # every block of the code the build instruments, once per source block
    distinct = {(s["file"], s["function"], s["line"]) for s in sites}
    loc = sum(len(p.read_text().splitlines())
              for d in ("os/kernel", "os/lib/libsys", "os/lib/sef", "os/servers")
              for p in (bootimage.ROOT / d).rglob("*.[ch]"))
    assert len(distinct) * 1000 / loc >= 100, (len(distinct), loc)


def test_build_without_fault_injection_has_no_sites(tmp_path):
    build = tmp_path / "nofi"
    bootimage.build([f"BUILD={build}", "FAULTINJ=0", "-j2"])
    for elf in build.glob("*.elf"):
        assert autosites.site_addresses(str(elf)) == [], elf
    out = subprocess.run([sys.executable, "-m", "faultinj", "sites", "--json", "--kind", "auto",
                          "--build", str(build)], cwd=bootimage.ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert json.loads(out) == []


def test_shell_arms_an_automatic_site_like_the_host(reached, fi_os):
    """`service fi` with the line `faultinj sites` prints for the site arms
    the same fault: it fires once in kv, with its effect."""
    from faultinj.bootimage import system
    site = _site_for(reached, "kv", "skip_insn")
    s = fi_os(system(init="wl kv 5"))
    s.console.wait_event("wl_done", timeout=60)
    s.console.run(site.shell_command("skip_insn") + " nth=1")
    s.console.wait_event("fi_arm", timeout=30)
    s.console.run("run wl kv 20")
    eff = s.console.wait_event("fi_effect", timeout=60)
    assert eff.get("proc") == "kv" and eff.get("what") == "skipped"
    assert int(eff.get("pc"), 16) == site.targets["skip_insn"][0]
    s.console.wait_event("wl_done", timeout=60)
    assert [e.kind for e in s.events].count("fi_fired") == 1


def test_a_fifth_armed_site_takes_an_int3(reached, fi_os):
    """Four debug registers (kernel/fi_hwbp.c): with four sites armed
    first and holding them, a fifth is armed with an int3 and still fires,
    at its hit, with its effect, said so (via=int3)."""
    from faultinj.bootimage import system
    hits = reached["kv"]
    cands = [s for s in autosites.sites(bootimage.program_path("kv"))
             if hits.get(s.marker, 0) >= 20 and "skip_insn" in s.faults()]
    assert len(cands) >= 5, "fewer than five kv sites the workload runs"
    s = fi_os(system(init="wl kv 5"))
    s.console.wait_event("wl_done", timeout=60)
    for site in cands[:4]:                          # never reached their count
        s.console.run(site.shell_command("skip_insn") + " nth=100000000")
        s.console.wait_event("fi_arm", timeout=30)
    fifth = cands[4]
    s.console.run(fifth.shell_command("skip_insn") + " nth=1")
    s.console.wait_event("fi_arm", timeout=30)
    s.console.run("run wl kv 20")
    fired = s.console.wait_event("fi_fired", timeout=60)
    assert fired.get("site") == fifth.marker and fired.get("via") == "int3", fired
    eff = s.console.wait_event("fi_effect", timeout=60)
    assert int(eff.get("pc"), 16) == fifth.targets["skip_insn"][0] and eff.get("what") == "skipped"


@pytest.fixture(scope="module")
def hot_kv_sites(os_built):
    """{marker: golden hits} of kv's sites that its golden run moved to a
    debug register (fi_golden_hot: hit FI_HOT_HITS times by int3)."""
    evs = []
    counts = golden._counting("kv", "programs", events=evs)
    hot = [e for e in evs if e.kind == "fi_golden_hot" and e.get("proc") == "kv"]
    return {e.get("site"): counts["kv"][e.get("site")] for e in hot}


def _counted_exactly(site, h):
    last = _run(f"kv skip_insn site={site.name} trigger=nth:{h} workload=kv")
    assert last["error"] is None, last["error"]
    fired = _kinds(last, "fi_fired")
    assert len(fired) == 1 and fired[0].get("via") == "debugreg", fired
    past = _run(f"kv skip_insn site={site.name} trigger=nth:{h + 1} workload=kv")
    assert past["error"] is None, past["error"]
    assert not _kinds(past, "fi_fired") and past["outcome"] == "not_activated", past["why"]


def test_an_armed_site_counts_every_hit_on_a_debug_register(reached):
    """An armed automatic site is watched by a debug register (kernel/
    fi_hwbp.c), the code untouched, instead of an int3 taken out and put
    back at every hit: nth:H, H the golden run's count of a site kv runs
    many times, fires at that very hit, caught by the debug register;
    nth:H+1 never fires. Counting one hit off either way fails it."""
    hits = reached["kv"]
    site = next(s for s in autosites.sites(bootimage.program_path("kv"))
                if 100 <= hits.get(s.marker, 0) <= 3000 and "skip_insn" in s.faults())
    _counted_exactly(site, hits[site.marker])


def test_a_hot_golden_site_is_counted_on_to_its_last_hit(hot_kv_sites):
    """The golden run counts a site by int3 until it is hot (FI_HOT_HITS
    hits), then on a debug register (kernel/fi_auto.c): its count is still
    every hit, the one an armed fault at nth:H fires at (a hit counted
    twice or lost at the hand-over fails it)."""
    assert hot_kv_sites, "no kv site went hot in its golden run"
    by_marker = {s.marker: s for s in autosites.sites(bootimage.program_path("kv"))}
    site = next(by_marker[m] for m in sorted(hot_kv_sites) if "skip_insn" in by_marker[m].faults())
    _counted_exactly(site, hot_kv_sites[site.marker])
