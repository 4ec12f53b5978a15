"""The clock tick's audits of the kernel's own data beyond the run queues
(os/kernel/priv_audit.c, alarm_audit.c, and sched_repair.c's lost IPC
block): each is a fault of the 2,000-experiment EDFI campaign (seed 1)
that did not trap and left the system hung for good until its audit was
added (client_hung); now each ends with the workload's every answer right
and an event naming the repair."""

import os
import subprocess

from faultinj import bootimage
from faultinj.events import parse_text
from tests.kernel_image import assert_passed, events_of, image
from tests.one_experiment import events as _events, one_repair, run, served_on


def _run(line):
    r = run(line, timeout=2.5, seed=1, name="kaudit")
    assert r["error"] is None, r["error"]
    return r


def test_alarms_the_clock_lets_pass_are_delivered_by_the_audit(os_built):
    # clock_tick's alarm loop: the branch that skips a free privilege is
    # rewritten into a jump, so the loop skips every privilege from then
    # on and no alarm fires again; RS's heartbeat and the scenario's sleep
    # come from the audit, two ticks late (the clock had its turn at the one between).
    # The campaign's fault was nth:2703; idle ticks the kernel skips
    # (tickless.c) run no clock_tick, so its site is hit fewer times: 1000
    # is about as far into this run
    r = _run("kernel stuck_loop site=clock_tick#4 trigger=nth:1000 workload=kv")
    rep = _events(r, "kernel_repaired")
    assert rep and all(e.get("what") == "alarm" and e.get("by") == "audit" for e in rep), rep
    assert {e.get("proc") for e in rep} >= {"rs", "scenario"}, rep
    assert all(2 <= int(e.get("late")) <= 3 for e in rep), rep
    assert not _events(r, "rs_died"), _events(r, "rs_died")
    served_on(r)


def test_an_alarm_due_at_once_is_the_clocks_not_a_repair(boot_os):
    # SYS_SETALARM with ticks that wrap sets an alarm at or before the
    # current tick: sound, the next tick's clock fires it; the audit, which
    # runs before that clock_tick, must leave it to the clock
    r = boot_os(image("alarmwrap"))
    assert_passed(r, "alarmwrap")
    assert not events_of(r, "kernel_repaired"), events_of(r, "kernel_repaired")


def test_a_corrupted_privilege_pointer_is_set_again_from_the_table(os_built):
    # a bit flipped in kv's privilege pointer (the word may_send_to loads):
    # it points past the privilege table; repaired from the entry that
    # names kv as its owner, so kv's restart finds its id free again
    r = _run("kernel corrupt_int site=may_send_to#0 trigger=nth:496 arg=21 workload=kv")
    e = one_repair(r, "priv", "audit")
    assert (e.get("proc"), e.get("fix")) == ("kv", "pointer"), e
    assert int(e.get("was"), 16) ^ int(e.get("now"), 16) == 1 << 21, e
    assert not _events(r, "restart_scheduled", cause="restart-failed")
    served_on(r)


def test_a_process_that_lost_its_block_is_blocked_again_not_requeued(os_built):
    # set_rts writes the scenario's RECEIVING flag (the reply half of its
    # SENDREC to kv) through a corrupted pointer: it is out of its queue
    # but runnable; its IPC fields say it waits for kv's reply, so the
    # audit blocks it again instead of running it with no answer
    r = _run("kernel corrupt_ptr site=set_rts#1 trigger=nth:121 arg=21 workload=kv")
    e = one_repair(r, "ipc_block", "audit")
    assert (e.get("proc"), e.get("rts")) == ("scenario", "0x4"), e
    assert e.get("getfrom") == "7", e
    served_on(r)


# The other sides of the privilege link, broken by hand: the experiment
# below arms a fault that never fires (its n is never reached), stops at
# the kernel's plan point under gdb (make gdb EXP=...), has one word of the
# kernel's data written there and runs on to the end.
_QUIET = "kernel crash site=clock_tick#0 trigger=nth:99999999 workload=kv"


def _run_with(tmp_path, build, *gdb_set):
    from campaigns import spec
    sp = tmp_path / "one.spec"
    sp.write_text(f"campaign kaudit\nseed 1\ntimeout 2.5\n{_QUIET}\n")
    exp = spec.load(str(sp)).experiments[0]
    log = tmp_path / "console.log"
    env = dict(os.environ)
    env.pop("MAKEFLAGS", None)
    r = subprocess.run(["make", "-s", "-C", str(bootimage.ROOT), f"BUILD={build}", "gdb",
                        f"EXP={exp.id}", f"SPEC={sp}", f"CONSOLE={log}",
                        "GDBARGS=-nx -batch " + "".join(f"-ex 'set var {w}' " for w in gdb_set) +
                        "-ex continue"],
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "the guest ended the run (halt" in r.stderr, r.stdout + r.stderr
    evs = parse_text(log.read_text())
    assert [e for e in evs if e.kind == "sc_done"], [e.raw for e in evs][-5:]
    assert not [e for e in evs if e.kind in ("panic", "fi_fired")]
    return [e for e in evs if e.kind == "kernel_repaired"]


def _kv_priv():
    # kv's privilege: the static id of its boot slot 7, 11 (the trace's
    # priv_set proc=kv ep=7 priv=11)
    return "priv_table[11]"


def test_an_owner_field_only_the_process_claims_is_set_back(tmp_path, os_built):
    # kv's entry names mem's slot (5), but mem points at its own entry and
    # nothing else claims kv's: the owner field is the corrupted word
    rep = _run_with(tmp_path, os_built, f"{_kv_priv()}.proc_nr = 5")
    assert [(e.get("what"), e.get("fix"), e.get("proc"), e.get("was"), e.get("now"))
            for e in rep] == [("priv", "owner", "kv", "0x5", "0x7")], rep


def test_a_lost_in_use_word_is_set_back_not_the_pointer_dropped(tmp_path, os_built):
    rep = _run_with(tmp_path, os_built, f"{_kv_priv()}.in_use = 0")
    assert [(e.get("what"), e.get("fix"), e.get("proc")) for e in rep] == \
        [("priv", "in_use", "kv")], rep


def test_a_pointer_at_another_process_entry_is_set_again_from_the_table(tmp_path, os_built):
    # kv's pointer at mem's entry (id 9), which names mem and mem points at:
    # the entry is mem's, and kv's own (id 11) names kv
    # (kv's slot 7 is proc_table's entry 7 + NR_TASKS, 4)
    rep = _run_with(tmp_path, os_built, "proc_table[4 + 7].priv = &priv_table[9]")
    assert [(e.get("what"), e.get("fix"), e.get("proc")) for e in rep] == \
        [("priv", "pointer", "kv")], rep
    from faultinj.session import kernel_image
    start, size = kernel_image().symbol("priv_table")
    entry = size // 64                                     # NR_PRIV_IDS entries
    assert (int(rep[0].get("was"), 16), int(rep[0].get("now"), 16)) == \
        (start + 9 * entry, start + 11 * entry), rep


def test_a_sender_that_lost_its_block_is_blocked_sending_again(tmp_path, os_built):
    # echo (slot 8) made a sender to kv (slot 7) that lost its block: in
    # kv's queue of senders, sendto_e kv, but runnable and in no run queue
    echo, kv = "proc_table[4 + 8]", "proc_table[4 + 7]"
    # (getfrom_e takes sendto_e's NONE first: a sender waits for no one)
    rep = _run_with(tmp_path, os_built, f"{echo}.getfrom_e = {echo}.sendto_e",
                    f"{echo}.sendto_e = {kv}.endpoint", f"{echo}.q_link = 0",
                    f"{echo}.sendmsg.m_source = {echo}.endpoint", f"{kv}.caller_q = &{echo}",
                    f"{echo}.rts = 0")
    assert [(e.get("what"), e.get("proc"), e.get("rts"), e.get("sendto")) for e in rep] == \
        [("ipc_block", "echo", "0x2", "7")], rep


def test_a_receiver_that_lost_its_block_is_blocked_again_unless_something_waits(tmp_path, os_built):
    # echo (slot 8) blocked receiving from anyone, its flag lost: blocked
    # again; but with a notification pending that it would take, whether
    # its wakeup was lost cannot be told, and it is requeued as before
    echo = "proc_table[4 + 8]"
    rep = _run_with(tmp_path, os_built, f"{echo}.rts = 0")
    assert [(e.get("what"), e.get("proc"), e.get("rts")) for e in rep] == \
        [("ipc_block", "echo", "0x4")], rep
    rep = _run_with(tmp_path, os_built, f"{echo}.priv->notify_pending = 1 << 11",
                    f"{echo}.rts = 0")
    assert [(e.get("what"), e.get("missing")) for e in rep] == [("run_queues", "1")], rep
