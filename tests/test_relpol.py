"""MINIX's minix/tests/testrelpol.sh, translated to this system's shell
(issue 19, "what must be shown").

MINIX's script takes every service in /proc/service and
  1. for each recovery policy the service supports, injects a fault
     (`minix-service fi LABEL`), waits for the restart and checks it:
     restart: the endpoint is kept, the restart count went up;
     reset: the endpoint changed, the restart count went up;
  2. live-updates each service to itself (`update self -label L`), plainly
     and with each way a new version can fail, and checks the result
     code of every step; afterwards endpoint and restart count must be as
     before: a failed update is a transparent rollback;
  3. updates several services at once (`-q` queues, `sysctl upd_run`
     runs the batch) with the same failure variants.

How each MINIX step is done here, and why it differs where it does
------------------------------------------------------------------

/proc/service/L  -> `service list`, RS's row of L (Console.service_row):
    ep=, restarts=, policy=. A row carries the one policy the service runs
    with; the policies a service supports are below (POLICIES).

`minix-service fi L` (an EDFI fault somewhere in L)
    -> `service fi L sef.ping crash nth=1`: L crashes at its next heartbeat
    (every SEF service has the sef.ping site). RS has no heartbeat (it is
    not pinged, it supervises): `service fi rs rs.request crash nth=1`,
    then any request to RS (`service list`) makes it crash; the kernel's
    guardian restarts it in place.
    MINIX waits for /proc/service/L's restart count to change; here the
    test waits for RS's `restarted` event (`rs_recovered` for RS) and
    then reads the row.

A policy is chosen at boot: RS's boot argument `policy=L:reset|restart`
(as campaigns' `policy=` does), and the test checks the row shows it.

Live update. MINIX: `minix-service [OPTS] update self -label L -maxtime
3HZ -state 1`; here `service update L [OPTS] -maxtime 3HZ -state 1` (the
label is the positional argument, and no -binary means the same binary:
"self"). The exit status of MINIX's command maps to the error RS answers
here (faultinj/errnos.py names it):

  MINIX step                     ours                              MINIX  ours
  plain update                   service update L                  0      0
  prepare only                   ... -o                            0      0
  new version crashes in init    ... -x                            200    EFAULT
  new version's init fails       ... -y                            78     EINVAL
  init never answers, 1HZ        ... -z -maxtime 1HZ               4      ETIMEDOUT
  state 5 never reached, 1HZ     ... -state 5 -maxtime 1HZ         4      ETIMEDOUT

  200 is MINIX's ERESTART: RS's default init error, what it reports when
      the new instance dies before its init answers. Our RS reports a
      crash in init as EFAULT (rs/lifecycle.c: "EFAULT for one that
      crashed"), the update_failed why=crashed-in-init.
  78  is MINIX's ENOSYS: the code SEF's debug init-failure callback
      returns, which RS hands back unchanged. Ours hands back the init's
      own code too, and our SEF's debug init failure reports EINVAL.
  4   is MINIX's EINTR: what MINIX's RS ends a timed-out update with
      (maximum prepare time reached, or an init that never answers). Ours
      says what happened: ETIMEDOUT.
  State 5 is SEF_LU_STATE_UNREACHABLE in both systems: a debug state a
  service never reaches, so the update must time out.

Which steps run where, as in MINIX's script:
  -o   MINIX leaves it out for pm, rs, vfs and vm, whose prepare-only it
       cannot do. Here pm, vm and rs do it, so they are checked too. There
       is no vfs here.
  -y, -z  left out for rs, as in MINIX: our RS refuses them for its self
       update (EINVAL by design: a new RS that fails or never finishes its
       init cannot be told apart from one that crashes).

tty: this system's shell runs inside tty (MINIX's is a process of its
own), so `service update tty` typed at the shell is a service asking for
its own update. RS answers such a request OK at once (rs/request.c: the
reply would land in the new version) and the shell never sees the
outcome. For tty the test therefore takes the result from RS's own
account of the update, the event that ends it: update_done or
update_prepare_only (0), update_failed (its result=) then
update_rolled_back, or update_aborted (its result=). The shell's answer
must still be 0 (accepted).

Left out, with why:
  init   not a SEF service (SF_NOSEF | SF_NORESTART): no heartbeat, no
         restart, no update; MINIX's script tests only services that have
         a policy.
  reset of ds, vm, pm: their clients address them by fixed endpoints
         (DS_PROC_EP, VM_PROC_EP, PM_PROC_EP in os/include/services.h), so
         a reset, which gives a new endpoint, leaves the system unusable
         (tried: after a pm reset `run` fails with EDEADSRCDST; after a ds
         reset DS's state is lost and a kv workload hangs; after a vm
         reset `free` fails). They are restart-only, as in MINIX's policy
         table.
  reset of rs: RS's policy cannot be chosen (RS refuses policy=rs:...);
         the kernel's guardian always restarts it in place.
mem, tty, kv and echo reach their clients through DS, so both policies
are tested for them.

Multi-component updates: `service update L -q` queues (MINIX's `-q`) and
`service sysctl upd_run` runs the batch as one transaction (the tests
are skipped only if the built `service` command lacks them). Two
differences, each checked: tty is left out of the batch (the shell runs
inside tty, and a batch cannot wait for its own caller to prepare: RS
answers ELOCKED), and rs cannot be queued (EPERM: RS replaces itself by
SYS_RENEW, which cannot be undone with the others), so MINIX's rs
variants run without rs.
"""

import re

import pytest

from faultinj import bootimage, errnos

OK = 0
EFAULT, EINVAL, ETIMEDOUT = errnos.EFAULT, errnos.EINVAL, errnos.ETIMEDOUT

# label -> the policies tested for it (the first is the sys table's)
POLICIES = {
    "rs": ("restart",),
    "ds": ("restart",),
    "vm": ("restart",),
    "pm": ("restart",),
    "mem": ("reset", "restart"),
    "tty": ("restart", "reset"),
    "kv": ("reset", "restart"),
    "echo": ("restart", "reset"),
}
LU_LABELS = list(POLICIES)
# MINIX leaves -o out for pm, rs and vm; here all three do it (docstring)
NO_PREPARE_ONLY: set = set()
NO_INIT_FAIL_TIMEOUT = {"rs"}          # -y, -z: as in MINIX
SELF_REQUEST = {"tty"}                 # the shell runs in tty


def _boot(live_os, label=None, policy=None):
    rs_arg = f"policy={label}:{policy}" if policy and label != "rs" else ""
    return live_os(bootimage.system(rs=rs_arg))


# ---------------------------------------------------------------- policies

def _inject_and_wait(con, label):
    """MINIX's `minix-service fi` + wait_for_service."""
    m = con.mark()
    if label == "rs":
        con.run("service fi rs rs.request crash nth=1")
        con.run("service list", expect=None)          # the request RS dies on
        con.wait_event("rs_recovered", since=m, timeout=30)
        return
    con.run(f"service fi {label} sef.ping crash nth=1")
    con.wait_event("restarted", since=m, timeout=30, label=label)
    init = con.wait_event("init_result", since=m, timeout=30, label=label)
    assert init.int("result") == OK, init.raw


@pytest.mark.parametrize("label,policy", [
    (label, pol) for label, pols in POLICIES.items() for pol in pols])
def test_recovery_policy(live_os, label, policy):
    con = _boot(live_os, label, policy)
    before = con.service_row(label)
    assert before.get("policy") == policy, before.raw
    _inject_and_wait(con, label)
    after = con.service_row(label)
    assert after.get("policy") == policy, after.raw
    assert after.int("restarts") == before.int("restarts") + 1, (before.raw, after.raw)
    if policy == "restart":
        assert after.get("ep") == before.get("ep"), (before.raw, after.raw)
    else:
        assert after.get("ep") != before.get("ep"), (before.raw, after.raw)


# ------------------------------------------------------------- live update

_ENDS = ("update_done", "update_prepare_only", "update_rolled_back", "update_aborted")


def _outcome_from_events(con, label, since):
    """RS's result of an update of `label` asked for by the service itself,
    read from the event that ends it."""
    end = con.q.serial.wait_for(
        lambda e: e.kind in _ENDS and e.get("label") == label, 30, since=since)
    if end.kind in ("update_done", "update_prepare_only"):
        return OK
    if end.kind == "update_aborted":
        return end.int("result")
    failed = con.events("update_failed", since=since, label=label)
    assert failed, f"update_rolled_back without update_failed: {end.raw}"
    return failed[-1].int("result")


def _update(con, label, opts="", maxtime="3HZ", state="1"):
    """MINIX's lu_test_one: the result RS gives the update."""
    cmd = f"service update {label} {opts} -maxtime {maxtime} -state {state}".replace("  ", " ")
    m = con.mark()
    ev = con.run(cmd, expect=None, timeout=60)
    if label in SELF_REQUEST:
        assert ev.int("result") == OK, f"{cmd}: not even accepted: {ev.raw}"
        return cmd, _outcome_from_events(con, label, m)
    return cmd, ev.int("result")


def _lu_steps(label):
    steps = [("", "3HZ", "1", OK)]
    if label not in NO_PREPARE_ONLY:
        steps.append(("-o", "3HZ", "1", OK))
    steps.append(("-x", "3HZ", "1", EFAULT))
    if label not in NO_INIT_FAIL_TIMEOUT:
        steps.append(("-y", "3HZ", "1", EINVAL))
        steps.append(("-z", "1HZ", "1", ETIMEDOUT))
    steps.append(("", "1HZ", "5", ETIMEDOUT))
    return steps


@pytest.mark.parametrize("label", LU_LABELS)
def test_live_update_and_rollback(live_os, label):
    """MINIX's lu_test: every step's result code, then the same endpoint
    and restart count as before the first."""
    con = _boot(live_os)
    before = con.service_row(label)
    wrong = []
    for opts, maxtime, state, want in _lu_steps(label):
        cmd, got = _update(con, label, opts, maxtime, state)
        if got != want:
            wrong.append(f"{cmd}: {errnos.name(got)}, wanted {errnos.name(want)}")
    after = con.service_row(label)
    for f in ("ep", "restarts"):
        if after.get(f) != before.get(f):
            wrong.append(f"{f} {before.get(f)} -> {after.get(f)}")
    assert not wrong, "\n".join(wrong)


# ------------------------------------------------- multi-component update

QUEUE = "-q"                           # MINIX's `-q`: queue, do not run yet
RUN_BATCH = "service sysctl upd_run"   # MINIX's `minix-service sysctl upd_run`


def _batch_support():
    """What the built `service` command (linked into tty) lacks for
    batched updates: its option and command names are .rodata strings."""
    tty = bootimage.BUILD / "tty.elf"
    if not tty.exists():
        bootimage.build()
    data = tty.read_bytes()
    missing = []
    if b"\0" + QUEUE.encode() + b"\0" not in data:
        missing.append(f"`service update L {QUEUE}` (queue an update)")
    if b"upd_run\0" not in data:
        missing.append(f"`{RUN_BATCH}` (run the queued updates)")
    return missing


_MISSING = _batch_support()
needs_batch = pytest.mark.skipif(
    bool(_MISSING), reason="the built service command lacks " + " and ".join(_MISSING))

# MINIX's multi_lu_labels: the system services with SEF, rs and vm apart;
# tty is left out here: this system's shell runs inside tty, so a batch run
# from the shell with tty in it would need tty to prepare while it waits
# for the batch's answer, which RS refuses (ELOCKED, checked below; MINIX's
# shell is a process of its own). rs in a batch is refused too (EPERM,
# below): RS replaces itself by SYS_RENEW, which cannot be undone together
# with the others, so MINIX's rs variants run here without rs.
MULTI_BASE = ["ds", "pm", "mem", "kv", "echo"]
MAX_MULTI_RETRY = 3


def _multi_once(con, labels, expected, once_index, once_opts="", once_maxtime="3HZ",
                once_state="1"):
    """MINIX's multi_lu_test_one: queue an update of each label (the
    once_index'th, counted from 1, with its own options), run the batch,
    retry a transient timeout a few times. The batch's result."""
    result = None
    for _ in range(MAX_MULTI_RETRY):
        for i, label in enumerate(labels, 1):
            opts, maxtime, state = ((once_opts, once_maxtime, once_state) if i == once_index
                                    else ("", "3HZ", "1"))
            con.run(f"service update {label} {QUEUE} {opts} -maxtime {maxtime} -state {state}"
                    .replace("  ", " "), timeout=60)
        result = con.run(RUN_BATCH, expect=None, timeout=120).int("result")
        # services talking to each other while being prepared can time
        # out; MINIX retries that (its 4) unless 4 was what it wanted
        if result == expected or result != ETIMEDOUT:
            break
    return result


@needs_batch
@pytest.mark.parametrize("extra", [[], ["vm"]], ids=["base", "vm"])
def test_multi_component_update_and_rollback(live_os, extra):
    labels = MULTI_BASE + extra
    # (with RS in the batch MINIX gets 200 for an init failure and an init
    # timeout too; RS is not part of a batch here: see MULTI_BASE)
    y_want, z_want = EINVAL, ETIMEDOUT
    con = _boot(live_os)
    before = {l: con.service_row(l) for l in labels}
    wrong = []
    for want, idx, kw in [
            (OK, 0, {}),
            (EFAULT, 2, {"once_opts": "-x"}),
            (y_want, 3, {"once_opts": "-y"}),
            (z_want, 2, {"once_opts": "-z", "once_maxtime": "1HZ"}),
            (ETIMEDOUT, 3, {"once_maxtime": "1HZ", "once_state": "5"})]:
        got = _multi_once(con, labels, want, idx, **kw)
        if got != want:
            wrong.append(f"{kw or 'plain'} at #{idx}: {errnos.name(got)}, wanted {errnos.name(want)}")
    for l in labels:
        after = con.service_row(l)
        for f in ("ep", "restarts"):
            if after.get(f) != before[l].get(f):
                wrong.append(f"{l}: {f} {before[l].get(f)} -> {after.get(f)}")
    assert not wrong, "\n".join(wrong)


@needs_batch
def test_what_a_batch_here_refuses_that_minix_takes(live_os):
    """The two differences from MINIX's multi_lu_test, each refused with a
    clear code and nothing started: rs in a batch, and a batch with its own
    caller (tty, where the shell runs) in it."""
    con = _boot(live_os)
    assert con.run(f"service update rs {QUEUE}", expect=None).int("result") == errnos.EPERM
    con.run(f"service update kv {QUEUE}")
    con.run(f"service update tty {QUEUE}")
    m = con.mark()
    assert con.run(RUN_BATCH, expect=None, timeout=60).int("result") == errnos.ELOCKED
    assert con.events("update_refused", since=m, label="tty", reason="caller-in-batch")
    assert not con.events("update_requested", since=m)
