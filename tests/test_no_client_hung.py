"""No client waits for good on a hung DS or on a server that drops
requests (issue 22). The faults are EDFI experiments of the 2,000-fault
campaign (seed 1) that ended client_hung before:

- DS spinning (a hang at an automatic site in entry_sum): the services of
  lower priority than DS were starved and PM was blocked in its DS call,
  all missed RS's pings and RS killed them along with DS; PM and echo came
  back without their state and the scenario waited for good. Now RS
  excuses a ping unanswered by a service that waits on another service or
  has not run since it was pinged (os/servers/rs/excuse.c), SEF's DS calls
  have a deadline and are asked again (os/lib/sef/sef_callbacks.c), and
  only DS is restarted.
- VM's loop going back to receive without answering (then a stuck loop;
  now the branch that takes a request for a notification, flipped), while
  SEF still answers RS's pings: RS never noticed, the probe waited on VM for
  good. Now the client whose timed request got no reply complains to RS
  (RS_COMPLAIN), which restarts VM once the kernel confirms the wait
  (os/servers/rs/complain.c)."""

from campaigns import runner, spec

SPEC = """campaign no_client_hung
seed 1
timeout 2.5
ds hang site=entry_sum#0 trigger=nth:40 workload=kv
ds hang site=entry_sum#5 trigger=nth:200 workload=kv
vm flip_branch site=main#1 trigger=nth:3 workload=kv
vm flip_branch site=main#1 trigger=nth:4 workload=kv
"""

SERVICES = ("pm", "vm", "mem", "tty", "kv", "echo")


def _run(exp_id):
    c = spec.parse(SPEC, "no_client_hung.spec")
    return runner.run(c.get(exp_id), campaign=c)


def _events(r, kind, **fields):
    out = []
    for e in r["events"]:
        if f" ev={kind} " not in e + " ":
            continue
        if all(f" {k}={v}" in e + " " for k, v in fields.items()):
            out.append(e)
    return out


def _only_ds_restarted(r):
    """DS was stopped and restarted, nothing else; every service answers
    the probe at the end and keeps its state."""
    assert r["activated"], r["id"]
    assert r["outcome"] == "recovered", (r["outcome"], r["why"])
    assert _events(r, "restarted", label="ds"), r["events"]
    for label in SERVICES:
        # (the scenario's own restart:kv step is no failure: killed and
        # restart_scheduled are only for failures)
        for kind in ("ping_missed", "killed", "restart_scheduled", "ds_state_lost"):
            assert not _events(r, kind, label=label), (kind, label)
        probe = _events(r, "sc_probe", label=label)
        assert probe and " result=0 " in probe[-1] and " state=ok " in probe[-1], (label, probe)


def test_a_spinning_ds_does_not_take_the_services_it_starves_down():
    """DS spins at priority 3 while nobody waits on it: mem, kv and echo
    (priority 4) cannot run to answer their pings. RS sees they have not
    run since the ping and excuses them; DS alone misses its heartbeat."""
    r = _run("ds-hang-site=entry_sum#0-nth:40-workload=kv")
    _only_ds_restarted(r)
    assert _events(r, "ping_missed", label="ds"), r["events"]
    excused = {e.split(" label=")[1].split()[0] for e in _events(r, "ping_excused", why="not-run")}
    assert {"mem", "kv", "echo"} <= excused, excused
    # echo's DS call that timed out while DS was stuck: DS never took it,
    # so the kernel has no lost reply on record and RS refuses to act on
    # the complaint (a privileged client's word alone restarts nothing)
    assert not _events(r, "complaint"), r["events"]


def test_a_ds_hung_under_a_request_is_restarted_and_the_caller_retries():
    """DS hangs half-way through storing PM's state: PM's call, timed,
    gets no reply; PM complains, RS restarts DS (which drops the entry it
    was writing), PM asks again, and its state is back in DS: no service
    but DS restarted, none lost its state."""
    r = _run("ds-hang-site=entry_sum#5-nth:200-workload=kv")
    _only_ds_restarted(r)
    assert _events(r, "ipc_timeout", proc="pm", dst="ds", lost="reply"), r["events"]
    complaint = _events(r, "complaint", label="ds", by="pm")
    assert complaint and int(complaint[0].split(" waited=")[1].split()[0]) >= 40, complaint
    assert _events(r, "restart_scheduled", label="ds", cause="complaint"), r["events"]
    assert _events(r, "ds_rebuilt", lost="1"), r["events"]


def _tick(e):
    return int(e.split(" t=")[1].split()[0]) // 10_000       # 10 ms ticks


def test_a_complaint_about_the_instance_before_a_restart_is_refused():
    """DS hangs checksumming kv's save. kv's deadline and RS's heartbeat
    race: when the deadline passes in the very tick RS restarts the hung
    DS, kv's complaint of the lost reply reaches RS after the restart. The
    wait began on the instance before, so it is no evidence against this
    one: RS refuses it (complain.c takes the wait from its start) and DS is
    restarted once. RS used to restart the fresh DS on it (found by the
    EDFI campaign, where kv, waiting on DS meanwhile, then lost its state).
    The fault goes live after watch:N, N = 0..19 ticks: one heartbeat
    period of phases, so some N meets the race whatever the timing of the
    build; every N must end with one restart and no complaint taken."""
    from tests.one_experiment import run
    raced = []
    for n in range(20):
        r = run(f"ds hang site=entry_sum#3 trigger=nth:1 workload=kv "
                f"steps=kv:40+watch:{n}+step:1+kv:20+watch:80+verify:kv+probe",
                timeout=5, name="no_client_hung")
        assert r["activated"] and r["outcome"] == "recovered", (n, r["outcome"], r["why"])
        restarts = _events(r, "restarted", label="ds")
        assert len(restarts) == 1, (n, restarts)
        assert not _events(r, "complaint", label="ds"), (n, _events(r, "complaint"))
        lost = _events(r, "ipc_timeout", proc="kv", dst="ds", lost="reply")
        if lost and _tick(lost[-1]) == _tick(restarts[0]):
            raced.append(n)
    assert raced, "no phase put kv's deadline in the tick of DS's restart"


def test_a_vm_that_drops_requests_but_answers_pings_is_restarted_on_complaint():
    """VM's loop goes back to receive without replying but SEF still
    answers the pings: no heartbeat is missed. The probe's timed question
    gets no reply, it complains, the kernel's record shows the wait, and RS
    restarts VM; the probe asks again and VM answers with its masks."""
    for exp_id in ("vm-flip_branch-site=main#1-nth:3-workload=kv",
                   "vm-flip_branch-site=main#1-nth:4-workload=kv"):
        r = _run(exp_id)
        assert r["activated"], exp_id
        assert r["outcome"] == "recovered", (exp_id, r["outcome"], r["why"])
        assert not _events(r, "ping_missed", label="vm"), exp_id
        assert _events(r, "ipc_timeout", proc="scenario", dst="vm", lost="reply"), exp_id
        assert _events(r, "complaint", label="vm", by="scenario"), exp_id
        assert _events(r, "restart_scheduled", label="vm", cause="complaint"), exp_id
        probe = _events(r, "sc_probe", label="vm")
        assert probe and " result=0 " in probe[-1] and " state=ok " in probe[-1], (exp_id, probe)


def test_a_sender_whose_delivery_the_kernel_lost_is_not_excused():
    """kipc.spec's sendblock: DS's send to echo is delivered but DS stays
    blocked, in no queue, while echo serves on in its receive. RS used to
    excuse DS's missed pings as "waits on echo" for the whole experiment,
    and PM, waiting on DS, with it. A send that the receiver's receive
    would have taken excuses nothing (os/servers/rs/excuse.c would_take):
    DS misses its heartbeat and is restarted, and PM is answered."""
    from tests.one_experiment import run
    r = run("ds error site=kernel.ipc.sendblock trigger=nth:2", timeout=2.5, name="no_client_hung")
    assert r["activated"], r["id"]
    assert not _events(r, "ping_excused", label="ds", on="echo"), r["events"]
    assert _events(r, "ping_missed", label="ds"), r["events"]
    assert _events(r, "restarted", label="ds"), r["events"]
    assert r["outcome"] == "recovered", (r["outcome"], r["why"])


def test_a_put_refused_for_room_is_a_wrong_answer_not_a_wait():
    """A store skipped in kv's loop lands a PUT on the wrong key: key 51 is
    gone and kv's table, which holds exactly the workload's keys, is full.
    Every rewrite of key 51 is then refused with ENOSPC, which the client
    used to ask again until the experiment's limit (client_hung). A PUT
    of the workload refused for room is a wrong answer of kv, final: the
    client counts it and goes on, and the run ends with its verdict."""
    from tests.one_experiment import run
    r = run("kv no_store site=main#32 trigger=nth:12 workload=kv", timeout=2.5, seed=1,
            name="no_client_hung")
    assert r["activated"], r["id"]
    assert _events(r, "wl_wrong", key="51", during="refused"), r["events"]
    assert _events(r, "sc_done"), r["events"]
    assert r["outcome"] == "wrong_answers", (r["outcome"], r["why"])
