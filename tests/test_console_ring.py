"""The harness's machines print their console into a ring the host maps
(os/kernel/conring.c, faultinj/conring.py), not on the UART: the host
takes it at every stop, and a stop it makes to take a chunk, or where in
the ring the bytes land, changes nothing in the run."""

import struct

import pytest

from faultinj import bootimage, conring
from faultinj.planned import PlannedMachine

STEPS = "kv:40 step:1 kv:100 watch:0 verify:kv kv:30 verify:kv probe"


@pytest.fixture(scope="module")
def machine(os_built):
    m = PlannedMachine(bootimage.system(rs="period=20") + [("scenario", "plan")],
                       snapshot=True, reset="warm")
    yield m
    m.close()


def raw(run):
    return [e.raw for e in run.events]


def test_the_console_is_the_ring_not_the_uart(machine):
    r = machine.run(STEPS, 30000)
    assert r.end == "halt" and r.error is None, r
    assert machine.q.ring.in_use()
    assert machine.q.uart_bytes == 0, machine.q.serial.text[:300]
    kinds = [e.kind for e in r.events]
    assert kinds[0] == "lockup_detector" and "plan_point" in kinds and kinds[-1] == "off", kinds
    assert "KERNEL_BANNER" not in machine.q.serial.text
    assert r.notes == [] and machine.q.ring.lost == 0
    # taken at the stop, all at once: no event says when the host saw it
    # (a host-time "recovery" of 0.0 ms would flatter)
    assert all(e.host_t is None for e in r.events)


def test_a_chunk_is_taken_at_a_stop_and_the_run_goes_on(machine):
    """The kernel's count of printed bytes put 800 short of a chunk at the
    plan point: the run passes conring_drain_point, the host stops there,
    takes the ring and lets it go on. Nothing is lost, and the run is the
    same on a machine booted for it: the stop (and what it costs in
    virtual time, contract/guest_host.def) is the same on every machine."""
    count = machine.kernel.address("conring_count")
    writes = [(count, struct.pack("<I", conring.CHUNK * 3 - 800))]
    stops = machine.ring_stops
    warm = machine.run(STEPS, 30000, writes=writes)
    assert machine.ring_stops == stops + 1
    assert warm.end and warm.error is None and warm.events[-1].kind == "off", raw(warm)[-3:]
    assert not warm.malformed and warm.notes == [] and machine.q.ring.lost == 0
    fresh = PlannedMachine(bootimage.system(rs="period=20") + [("scenario", "plan")])
    try:
        once = fresh.run(STEPS, 30000, writes=writes)
        assert fresh.ring_stops == 1
    finally:
        fresh.close()
    assert raw(once) == raw(warm)


def test_bytes_that_wrap_round_the_ring_come_whole(machine):
    """pos set 33 bytes short of the ring's end at the plan point (the
    host's to set): the run's bytes wrap round to its start and come in
    order; the kernel reads pos only to place a byte, so the run is the
    same."""
    plain = machine.run(STEPS, 30000)
    machine.q.ring._seen = conring.RING - 33
    struct.pack_into("<I", machine.q.ring._map, 4, conring.RING - 33)
    wrapped = machine.run(STEPS, 30000)
    assert raw(wrapped) == raw(plain)


def test_a_byte_goes_only_through_the_kernels_own_entry(os_built):
    """The ring's entry in the kernel's page directory made to name other
    RAM (as a directory a fault left in CR3 would): the processes RS starts
    during the run copy it, and what they have the kernel print in their
    address space goes to the UART, not through that entry into RAM
    (os/kernel/conring.c, mapped_here). The run ends as a run does."""
    from campaigns import runner, scenario, spec
    exp = spec.parse("campaign c\nkv crash trigger=nth:20\n", "c.spec").experiments[0]
    plan = scenario.plan(exp)
    mods, _append, _boot_arm, plan_arm = runner.boot_config(plan)
    m = PlannedMachine(mods)
    try:
        k = m.kernel
        pdir = m.gdb.read_u32(k.address("kernel_pdir"))
        entry = pdir + 4 * ((0x40000000 - conring.SHM) >> 22)
        assert m.gdb.read_u32(entry) & 0x80            # the ring's 4 MiB page
        other = struct.pack("<I", (8 << 20) | 0x83)    # the OS's RAM at 8 MiB
        r = m.run(plan.scenario_args, plan.deadline_ms, plan_arm, writes=[(entry, other)])
        assert r.end == "halt" and r.error is None, (r.end, r.error)
        assert m.q.uart_bytes > 0
        assert any(e.kind == "restarted" and e.get("label") == "kv" for e in r.events)
    finally:
        m.close()
