"""VM and PM keep their state across their own restarts, checked as DS
checks what it keeps. VM rebuilds every call mask from RS's public table,
checked against the checksum RS computed over what it sent
(os/servers/vm/main.c); PM takes its process table back from DS, checked
by its own checksum and the shape of a tree (os/servers/pm/table.c). A
copy that fails its check fails the init with the cause named (RS then
tries again), never an empty or partial state reported as OK."""

from faultinj import errnos

LABELS = ("rs", "ds", "vm", "pm", "mem", "tty", "kv", "echo")


def _masks(con):
    """label -> (endpoint, mask) as VM answers `vmmask` now."""
    out = {}
    for label in LABELS:
        m = con.mark()
        con.run(f"vmmask {label}")
        e = con.wait_event("vm_mask", since=m, label=label)
        out[label] = (e.get("ep"), e.get("mask"))
    return out


def _tree(con):
    m = con.mark()
    con.run("ps")
    return sorted((p.get("pid"), p.get("ppid"), p.get("name"), p.get("ep"), p.get("kind"))
                  for p in con.events("proc", since=m))


def _restart_kv(con):
    """kv under a new endpoint: its mask reached VM by VM_SET_MASK."""
    m = con.mark()
    con.run("service restart kv", timeout=60)
    ep = con.wait_event("init_result", since=m, label="kv", type="restart", result=0,
                        timeout=60).get("ep")
    con.wait_event("ds_publish", since=m, label="kv", ep=ep, timeout=60)   # vmmask asks DS


def test_vm_masks_after_its_restart_equal_before(live_os):
    con = live_os()
    _restart_kv(con)
    before = _masks(con)
    assert all(int(mask, 16) != 0 for _, mask in before.values()), before
    m = con.mark()
    con.run("service restart vm", expect=None, timeout=60)
    con.wait_event("init_result", since=m, label="vm", type="restart", result=0, timeout=60)
    built = con.wait_event("vm_masks", since=m, type="restart")
    assert built.int("masks") >= len(LABELS), built.raw
    assert _masks(con) == before
    assert con.run("free").int("result") == 0


def test_vm_init_fails_on_a_corrupt_table_then_rebuilds(live_os):
    con = live_os()
    _restart_kv(con)
    before = _masks(con)
    m = con.mark()
    con.run("service fi vm vm.init.corrupt error nth=1")
    con.run("service restart vm", expect=None, timeout=60)
    failed = con.wait_event("vm_masks_failed", since=m, type="restart", timeout=60)
    assert failed.get("why") == "checksum", failed.raw
    bad = con.wait_event("init_result", since=m, label="vm", type="restart", timeout=60)
    assert bad.int("result") == errnos.EIO, bad.raw
    # no masks were reported built from the bad copy
    assert not [e for e in con.events("vm_masks", since=m) if e.int("t") < bad.int("t")]
    # RS tries again; the next copy checks out and every mask is back
    con.wait_event("init_result", since=m, label="vm", type="restart", result=0, timeout=60)
    con.run("service fi off")
    assert _masks(con) == before


def test_pm_table_after_its_restart_equals_before(live_os):
    con = live_os()
    _restart_kv(con)
    before = _tree(con)
    assert len(before) >= len(LABELS) + 1, before     # init and scenario-less boot
    m = con.mark()
    con.run("service restart pm", expect=None, timeout=60)
    con.wait_event("init_result", since=m, label="pm", type="restart", result=0, timeout=60)
    back = con.wait_event("pm_restored", since=m, type=2)
    assert back.int("procs") >= len(before), back.raw
    assert _tree(con) == before


def test_pm_init_fails_on_a_corrupt_kept_table_then_restores(live_os):
    con = live_os()
    before = _tree(con)
    m = con.mark()
    con.run("service fi pm pm.keep.corrupt error nth=1")
    con.run("service restart pm", expect=None, timeout=60)
    failed = con.wait_event("pm_restore_failed", since=m, type=2, timeout=60)
    assert failed.get("why") == "checksum" and failed.int("err") == errnos.EIO, failed.raw
    bad = con.wait_event("init_result", since=m, label="pm", type="restart", timeout=60)
    assert bad.int("result") == errnos.EIO, bad.raw
    # never an empty tree said OK: the retry brings the whole table back
    assert not [e for e in con.events("pm_restored", since=m) if e.int("procs") == 0]
    con.wait_event("init_result", since=m, label="pm", type="restart", result=0, timeout=60)
    con.run("service fi off")
    assert _tree(con) == before
