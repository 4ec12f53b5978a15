"""The kernel boots, RS configures every boot process, and nothing but
the kernel tasks and RS runs before RS allows it."""

import random

from tests.kernel_image import assert_passed, events_of, image


def test_boots_to_ready_line(boot_os):
    r = boot_os(image("ipc"))
    ready = events_of(r, "ready", who="rs")
    assert ready, r.serial
    assert ready[0].int("services") == 5        # four boot processes and RS itself
    assert_passed(r, "ipc")


def test_no_boot_process_runs_before_rs_allows_it(boot_os):
    r = boot_os(image("prestart"))
    assert_passed(r, "prestart")
    pre = {e.get("proc"): e.int("start_count") for e in events_of(r, "prestart")}
    assert set(pre) == {"peer", "lonely", "victim", "ktest"}
    assert all(v == 0 for v in pre.values()), pre
    allow = {e.get("proc"): e.int("dispatches") for e in events_of(r, "priv_allow")}
    assert set(allow) == set(pre)
    assert all(v == 0 for v in allow.values()), allow
    # and each got its privileges before it was allowed to run
    order = [(e.kind, e.get("proc")) for e in r.events if e.kind in ("priv_set", "priv_allow")]
    for name in pre:
        assert order.index(("priv_set", name)) < order.index(("priv_allow", name))


def test_shuffled_module_order_boots_the_same(boot_os):
    base = boot_os(image("ipc"))
    rng = random.Random(1234)
    for _ in range(2):
        order = list(range(5))
        while order == list(range(5)):
            rng.shuffle(order)
        r = boot_os(image("ipc", order=order))
        assert_passed(r, f"ipc with module order {order}")
        names = lambda res: sorted(e.get("proc") for e in events_of(res, "priv_allow"))
        assert names(r) == names(base)
        # RS keeps its fixed slot whatever the order
        assert events_of(r, "priv_set", proc="peer")


def test_missing_priv_entry_is_a_clear_boot_error(boot_os):
    # "ktestx" is not in RS's table: RS must refuse to boot, naming it
    import shutil
    from faultinj import bootimage
    src = bootimage.program_path("peer")
    dst = bootimage.BUILD / "unlisted.elf"
    shutil.copyfile(src, dst)
    r = boot_os(["rs", "peer", "unlisted"])
    assert r.outcome == "panic", r.serial
    p = events_of(r, "panic", who="rs")
    assert p and p[0].get("proc") == "unlisted", r.serial
    assert "no priv table entry" in r.serial
    # nothing was allowed to run
    assert not events_of(r, "priv_allow")


def test_no_boot_process_runs_while_rs_blocks_before_allowing(boot_os):
    """RS sleeps 30 ticks before it configures anyone: a kernel that let
    boot processes run before RS's ALLOW would dispatch them meanwhile,
    and the kernel's own dispatch counts (in priv_allow) would show it."""
    mods = [("rs", "boot_delay=30"), "peer", "lonely", ("victim", "none"), ("ktest", "prestart")]
    r = boot_os(mods)
    assert_passed(r, "prestart after RS blocked")
    assert events_of(r, "boot_delay_done")
    pre = {e.get("proc"): e.int("start_count") for e in events_of(r, "prestart")}
    allow = {e.get("proc"): e.int("dispatches") for e in events_of(r, "priv_allow")}
    assert set(pre) == set(allow) == {"peer", "lonely", "victim", "ktest"}
    assert all(v == 0 for v in pre.values()) and all(v == 0 for v in allow.values()), (pre, allow)


def test_boot_processes_get_their_static_priv_id(boot_os):
    """A boot process's privilege id is its kernel slot plus NR_TASKS
    (static_priv_id in os/include/priv.h)."""
    import re
    from faultinj import bootimage
    nr_tasks = int(re.search(r"#define NR_TASKS\s+(\d+)",
                             (bootimage.ROOT / "os/include/ipc.h").read_text()).group(1))
    r = boot_os(image("ipc"))
    assert_passed(r, "ipc")
    sets = events_of(r, "priv_set")
    assert {e.get("proc") for e in sets} == {"peer", "lonely", "victim", "ktest"}
    for e in sets:
        assert e.int("priv") == e.int("ep") + nr_tasks, e.raw   # generation 0: ep is the slot
