"""User processes share INIT's static privilege (as in the MINIX seed),
instead of a dynamic id each with system flags. The crowd service
(os/tests/crowd.c) has PM start 30 user programs at once and checks from
the kernel's own tables that all hold INIT's priv id, none has PF_SYS_PROC,
and that ending one (then all) leaves the shared privilege as it was.
Fault-injection tools (`noexec fi`) share a second static privilege, which
alone adds SYS_FI_CTL."""

import re

from faultinj import bootimage

CROWD = 30                           # CROWD in os/tests/crowd.c


def header_int(header, name):
    text = (bootimage.ROOT / "os/include" / header).read_text()
    return int(re.search(rf"#define {name}\s+(\d+)", text).group(1))


NR_TASKS = header_int("ipc.h", "NR_TASKS")
USER_PRIV_ID = NR_TASKS + header_int("ipc.h", "NR_BOOT_PROCS")   # NR_STATIC_PRIV_IDS
FI_USER_PRIV_ID = USER_PRIV_ID + 1
PF_SYS_PROC = 0x10
SYS_FI_CTL = 1 << header_int("kcall.h", "SYS_FI_CTL")
SYS_EXIT = 1 << header_int("kcall.h", "SYS_EXIT")


def test_thirty_user_programs_share_inits_privilege(live_os):
    con = live_os(bootimage.system() + ["crowd", ("bomb", "noexec")])
    done = con.wait_event("crowd_done", timeout=120)
    checks = {e.get("phase"): e for e in con.events("crowd_check")}
    assert done.int("ok") == 1, [e.raw for e in checks.values()]
    init = con.wait_event("crowd_init")
    assert init.int("priv") == USER_PRIV_ID and not init.int("flags") & PF_SYS_PROC
    assert [checks[p].int("procs") for p in ("all", "one_ended", "all_ended")] == [CROWD, CROWD - 1, 0]
    assert checks["all"].int("same") == CROWD and checks["all"].int("sys") == 0
    assert all(e.int("intact") == 1 for e in checks.values())
    # the kernel's own record of every privilege it set: INIT's id for each
    sets = con.events("priv_set", proc="bomb")
    assert len(sets) == CROWD
    assert {e.int("priv") for e in sets} == {USER_PRIV_ID}
    assert not any(e.int("flags") & PF_SYS_PROC for e in sets)
    assert not any(e.int("calls") & SYS_FI_CTL for e in sets)
    assert con.events("priv_set", proc="init", priv=USER_PRIV_ID)
    spawned = con.events("spawn", name="bomb")
    assert len(spawned) == CROWD and len({e.get("pid") for e in spawned}) == CROWD
    assert len(con.events("proc_exit", name="bomb")) == CROWD
    # user programs still work with the privilege their predecessors used
    m = con.mark()
    con.run("run bomb reap 5")
    reaped = con.wait_event("bomb_reaped", since=m, timeout=60)
    assert reaped.int("reaped") == 5 and reaped.int("failed") == 0, reaped.raw
    assert {e.int("priv") for e in con.events("priv_set", since=m, proc="bomb")} == {USER_PRIV_ID}


def test_only_fault_injection_tools_hold_the_fault_right(live_os):
    """wl (`noexec fi`) gets the shared fault-injection privilege, which adds
    SYS_FI_CTL and nothing else; a plain program gets INIT's."""
    con = live_os(bootimage.system() + [("bomb", "noexec")])
    m = con.mark()
    con.run("run wl kv 5", timeout=60)
    con.wait_event("wl_done", since=m, timeout=60)
    con.run("run bomb exit")
    con.wait_event("proc_exit", since=m, name="bomb")
    wl = con.events("priv_set", since=m, proc="wl")
    bomb = con.events("priv_set", since=m, proc="bomb")
    assert [e.int("priv") for e in wl] == [FI_USER_PRIV_ID]
    assert [e.int("priv") for e in bomb] == [USER_PRIV_ID]
    assert wl[0].int("calls") == bomb[0].int("calls") | SYS_FI_CTL
    assert bomb[0].int("calls") & SYS_EXIT and not bomb[0].int("calls") & SYS_FI_CTL
    assert wl[0].int("flags") == bomb[0].int("flags") and not wl[0].int("flags") & PF_SYS_PROC
