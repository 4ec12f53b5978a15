"""One experiment is one deterministic guest run: run on a freshly booted
machine, on a machine brought back to the plan point (by the kernel's warm
reset, os/kernel/warm.c, or by QEMU's loadvm), or to the boot hook for a
fault armed there, and brought back again under a loaded host, it leaves byte-identical event traces, virtual times
included, and the same verdict. Also: a state loss is never
scored as recovered."""

import multiprocessing
import os

import pytest

from campaigns import runner, spec
from faultinj import pool

SPEC = """campaign determinism
seed 3
timeout 30
kv    hang        site=kv.get trigger=nth:10 period=5
kv    lu_ok
echo  init_fail   mode=dynamic
ds    crash       trigger=nth:5
kv    crash       trigger=prob:0.05
kv    hang        site=sef.init.cb mode=update expect=rolled_back
ds    skip_insn   site=entry_sum#5 trigger=nth:1301 workload=kv
kernel flip_branch site=ipc_fast#3 trigger=nth:262 workload=kv
kernel flip_branch site=ipc_fast#3 trigger=nth:100000000 workload=kv expect=not_activated
kv    init_fail
kv    init_fail   trigger=nth:2 period=5 expect=not_activated
"""


def _campaign():
    return spec.parse(SPEC, "determinism.spec")


def _run(exp_id, reuse=True):
    c = _campaign()
    return runner.run(c.get(exp_id), campaign=c, reuse=reuse)


def _burn(stop):
    while not stop.is_set():
        pass


@pytest.mark.parametrize("reset", ["warm", "loadvm"])
@pytest.mark.parametrize("exp_id", ["kv-hang-site=kv.get-nth:10-period=5", "kv-lu_ok-nth:1",
                                    "echo-init_fail-nth:1-mode=dynamic",
                                    "kv-crash-prob:0.05",
                                    "kv-hang-site=sef.init.cb-nth:1-mode=update",
                                    # automatic sites counted on a debug register
                                    # (kernel/fi_hwbp.c): its state too is reset
                                    "ds-skip_insn-site=entry_sum#5-nth:1301-workload=kv",
                                    "kernel-flip_branch-site=ipc_fast#3-nth:262-workload=kv",
                                    # armed to the end, its register on in the
                                    # kernel: the next run must not find it
                                    "kernel-flip_branch-site=ipc_fast#3-nth:100000000-workload=kv",
                                    # armed at the boot hook: a machine saved
                                    # there (faultinj/bootsaved.py), the run
                                    # ending in the boot or going on from the
                                    # plan point
                                    "kv-init_fail-nth:1",
                                    "kv-init_fail-nth:2-period=5"])
def test_same_trace_fresh_restored_and_under_load(os_built, exp_id, reset, monkeypatch):
    monkeypatch.setattr(pool, "RESET", reset)
    a = _run(exp_id, reuse=False)        # a QEMU of its own, booted for it
    b = _run(exp_id)                     # the worker's saved machine (booted if new)
    # a second run with every core of the host kept busy
    stop = multiprocessing.Event()
    hogs = [multiprocessing.Process(target=_burn, args=(stop,), daemon=True)
            for _ in range(os.cpu_count() or 2)]
    for h in hogs:
        h.start()
    try:
        c = _run(exp_id)
    finally:
        stop.set()
        for h in hogs:
            h.join(5)
    assert a["error"] is None, a["error"]
    assert a["restored"] is False and c["restored"] is True
    assert a["events"] == b["events"] == c["events"]
    assert a["outcome"] == b["outcome"] == c["outcome"]
    assert a["ok"], (a["outcome"], a["why"])
    assert a["recover_virtual_us"] == c["recover_virtual_us"]


def test_ds_crash_then_kv_restart_keeps_the_state(os_built):
    """DS crashes with kv's table in it; kv, restarted after DS came back,
    takes every key back (DS kept it, os/servers/ds/keep.c), and the
    client's read-back finds all of them: recovered, with the oracle's
    evidence, never `recovered` with keys gone."""
    r = _run("ds-crash-nth:5")
    assert any("ev=died label=ds" in e for e in r["events"])
    assert any("ev=ds_rebuilt" in e and "dropped=0" in e for e in r["events"])
    restored = [e for e in r["events"] if "ev=kv_restored" in e and "type=2" in e]
    assert restored and "keys=0 " not in restored[0], restored
    assert r["outcome"] == "recovered", (r["outcome"], r["why"])
    assert r["counts"]["stale"] == 0 and r["counts"]["lost"] == 0
    assert r["counts"]["verified"] > 0


def test_a_machine_saved_at_the_boot_hook_whose_qemu_ends_is_no_harness_error(os_built):
    """QEMU ending during a run from the boot hook (a boot fault that
    resets the machine, under -no-reboot) is the run's end, as on a fresh
    machine, not a harness fault: nothing is asked of the gone stub, and
    the machine is dropped. Seen failing (a GdbError from removing the
    watchpoint of a dead QEMU) before."""
    from campaigns import scenario
    from faultinj.bootsaved import BootSavedMachine
    c = _campaign()
    plan = scenario.plan(c.get("kv-init_fail-nth:1"), c)
    mods, append, boot_arm, plan_arm = runner.boot_config(plan)
    m = BootSavedMachine(mods, append=append)
    try:
        real = m.m._wait_stop

        def dies(limit, since):          # QEMU gone while the guest runs
            m.m.q.proc.kill()
            return real(limit, since)
        m.m._wait_stop = dies
        r = m.run(boot_arm, plan.scenario_args, plan.deadline_ms, plan_arm)
        assert r.error is None, r.error
        assert m.broken and m.broken.startswith("QEMU ended"), m.broken
    finally:
        m.close()
