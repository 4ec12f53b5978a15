"""campaigns/theseus.py: the Theseus classes of kernel IPC-fault results,
from hand-made result records (no QEMU)."""

import json

import pytest

from campaigns import theseus

FIRED = "#EV t=100 who=kernel ev=fi_fired slot=0 site=kernel.ipc.dest type=error proc=kv ep=7 fired=1 via=kernel"
DONE = ["#EV t=900 who=scenario ev=sc_probe label=kv result=0 answer=0 state=ok",
        "#EV t=950 who=scenario ev=sc_done steps=8"]


def stuck(proc, getfrom="any", sendto="-", ep=1):
    return (f"#EV t=30000005 who=kernel ev=stuck proc={proc} ep={ep} rts=0x4 "
            f"sendto={sendto} getfrom={getfrom}")


def rec(outcome, events=(), site="kernel.ipc.dest", id_=None):
    return {"id": id_ or f"kv-error-site={site}-{outcome}", "site": site,
            "outcome": outcome, "events": list(events)}


@pytest.mark.parametrize("outcome,cls", [
    ("kernel_panic", "panic"), ("halted", "panic"),
    ("recovered", "contained"), ("torn_down", "contained"), ("given_up", "contained"),
    ("client_hung", "lost"), ("wrong_answers", "lost"),
    ("not_activated", "not_fired"), ("harness_error", "harness_error"),
])
def test_outcome_alone_decides(outcome, cls):
    assert theseus.classify(rec(outcome, [FIRED] + DONE))[0] == cls


def test_benign_is_benign_unless_rs_had_to_act():
    assert theseus.classify(rec("benign", [FIRED] + DONE)) == ("benign", "fired, nothing followed")
    # the fault was aimed at DS, but echo, waiting for DS's lost reply,
    # was restarted: a contained process failure
    spread = [FIRED, "#EV t=200 who=rs ev=ping_missed label=echo ep=8 since=40"] + DONE
    cls, why = theseus.classify(rec("benign", spread))
    assert cls == "contained" and "ping_missed echo" in why


def test_a_loss_the_kernel_reported_and_the_client_asked_again_is_contained():
    timeout = "#EV t=300 who=kernel ev=ipc_timeout proc=scenario ep=9 dst=kv dst_ep=7 lost=reply"
    cls, why = theseus.classify(rec("benign", [FIRED, timeout] + DONE))
    assert cls == "contained" and "scenario's reply to kv" in why
    # a timeout before the fault is no report of its loss
    assert theseus.classify(rec("benign", [timeout, FIRED] + DONE))[0] == "benign"
    # and a client still hung is lost, whatever was reported
    assert theseus.classify(rec("client_hung", [FIRED, timeout] + DONE))[0] == "lost"


def test_a_garble_a_receiver_reported_and_its_sender_asked_again_is_contained():
    garbled = "#EV t=300 who=scenario ev=ipc_garbled call=sendrec from=7 sent=sendnb"
    cls, why = theseus.classify(rec("benign", [FIRED, garbled] + DONE))
    assert cls == "contained" and "scenario refused a garbled sendnb from 7" in why
    # a garble reported before the fault is no report of its effect
    assert theseus.classify(rec("benign", [garbled, FIRED] + DONE))[0] == "benign"
    # and wrong answers are lost, whatever was reported
    assert theseus.classify(rec("wrong_answers", [FIRED, garbled] + DONE))[0] == "lost"


def test_detection_before_the_fault_does_not_count():
    early = ["#EV t=50 who=rs ev=died label=echo ep=8 sigmap=2048", FIRED] + DONE
    assert theseus.classify(rec("benign", early))[0] == "benign"


def test_rs_restarted_by_the_kernel_is_contained():
    ev = [FIRED, "#EV t=300 who=kernel ev=rs_died why=signal pc=0x1 addr=0x0"] + DONE
    assert theseus.classify(rec("benign", ev))[0] == "contained"


def test_state_lost_is_contained_only_after_a_detection():
    garbled = [FIRED] + DONE
    assert theseus.classify(rec("recovered_state_lost", garbled))[0] == "lost"
    restarted = [FIRED, "#EV t=200 who=rs ev=killed label=vm ep=2"] + DONE
    assert theseus.classify(rec("recovered_state_lost", restarted))[0] == "contained"


def test_a_probe_that_asked_nobody_is_not_benign():
    ev = [FIRED, "#EV t=950 who=scenario ev=sc_done steps=8"]
    cls, why = theseus.classify(rec("benign", ev))
    assert cls == "lost" and "probe" in why


def test_system_hang_with_rs_idle_is_a_lost_request():
    ev = [FIRED, "#EV t=30000000 who=kernel ev=deadline ticks=3000",
          stuck("rs", ep=0), stuck("kv", ep=7), stuck("scenario", getfrom="rs", ep=9)]
    cls, why = theseus.classify(rec("system_hang", ev))
    assert cls == "lost" and "request to rs" in why


def test_system_hang_with_rs_busy_is_a_panic():
    ev = [FIRED, "#EV t=30000000 who=kernel ev=deadline ticks=3000",
          stuck("rs", getfrom="-", sendto="vm", ep=0), stuck("scenario", getfrom="rs", ep=9)]
    assert theseus.classify(rec("system_hang", ev))[0] == "panic"
    # no kernel report at all: nothing to show the system still ran
    assert theseus.classify(rec("system_hang", [FIRED]))[0] == "panic"


def test_unknown_outcome_is_not_counted_as_a_class():
    assert theseus.classify(rec("exploded", [FIRED]))[0] == "harness_error"


def test_kind_of():
    assert theseus.kind_of("kernel.ipc.nocopy") == "nocopy"
    assert theseus.kind_of("kernel.ipc.send") == "send"
    assert theseus.kind_of("kernel.call") is None
    assert theseus.kind_of(None) is None


def test_summary_counts_per_kind_and_total():
    results = [
        rec("client_hung", [FIRED], "kernel.ipc.dest", "a"),
        rec("recovered", [FIRED], "kernel.ipc.dest", "b"),
        rec("benign", [FIRED] + DONE, "kernel.ipc.dup", "c"),
        rec("kernel_panic", [FIRED], "kernel.ipc.wrongbuf", "d"),
        rec("not_activated", [], "kernel.ipc.dup", "e"),
        rec("recovered", [FIRED], "kv.put", "f"),              # not an IPC fault: left out
    ]
    t = theseus.summarize(results)
    assert list(t) == ["dest", "dup", "wrongbuf", "total"]
    assert (t["dest"]["lost"], t["dest"]["contained"]) == (1, 1)
    assert (t["dup"]["benign"], t["dup"]["not_fired"]) == (1, 1)
    assert t["wrongbuf"]["panic"] == 1
    assert t["total"] == {"panic": 1, "contained": 1, "lost": 1, "benign": 1,
                          "not_fired": 1, "harness_error": 0}
    text = theseus.summary_text(t)
    assert "panic" in text and "not_fired" in text and "harness_error" not in text
    assert theseus.summary_text(theseus.summarize([])).startswith("theseus: no")


def test_has_ipc_faults():
    assert theseus.has_ipc_faults([{"site": "kernel.ipc.drop"}])
    assert not theseus.has_ipc_faults([{"site": "kv.put"}, {"site": None}])


def test_main_reads_a_report_dir_or_a_journal(tmp_path, capsys):
    results = [rec("client_hung", [FIRED], id_="x"), rec("benign", [FIRED] + DONE, id_="y")]
    (tmp_path / "results.json").write_text(json.dumps({"results": results}))
    assert theseus.main(str(tmp_path), verbose=True) == 0
    out = capsys.readouterr().out
    assert "lost          x:" in out and "dest" in out
    j = tmp_path / "j"
    j.mkdir()
    # the journal: a rerun's record of an id replaces the first
    lines = [json.dumps(rec("harness_error", [], id_="x")), "not json",
             json.dumps(rec("recovered", [FIRED], id_="x"))]
    (j / "journal.jsonl").write_text("\n".join(lines) + "\n")
    assert theseus.main(str(j)) == 0
    out = capsys.readouterr().out
    total = [l for l in out.splitlines() if l.startswith("total")][0].split()
    assert total[1:6] == ["0", "1", "0", "0", "1"]        # panic contained lost benign n
    assert theseus.main(str(tmp_path / "nothing")) == 2
