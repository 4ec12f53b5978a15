"""python3 -m campaigns minimize on real runs (campaigns/minimize_main.py):
one failure of each signature class - a crash RS gives up on, a client
left hanging, acknowledged state lost - is shrunk (a smaller trigger, load
or step list than it started from, with the same signature), its three
replays have one trace, and the reproducer kept in minimized.spec, run
once more here, gives that very trace; the printed make gdb command runs
it under gdb; --all fills a campaign report's signature table."""

import json
import shlex

from campaigns import __main__ as cli
from campaigns import engine, reproducers, runner, spec
from campaigns.minimize_main import trace_digest
from campaigns.signature import signature


def minimize(tmp_path, capsys, line, exp_id, budget, timeout=30):
    sp = tmp_path / "c.spec"
    sp.write_text(f"campaign mz\nseed 1\ntimeout {timeout}\n{line}\n")
    out = tmp_path / "out"
    rc = cli.main(["minimize", exp_id, "--spec", str(sp), "--out", str(out),
                   "--budget", str(budget)])
    text = capsys.readouterr().out
    entries = json.loads((out / reproducers.JSON_NAME).read_text())["reproducers"]
    assert rc == 0 and len(entries) == 1, text
    return text, entries[0], out


def replayed(text, entry, out, sig):
    """The reproducer has the signature, three identical replays, and its
    line in minimized.spec gives that trace once more; it is printed with
    its make gdb command."""
    assert entry["signature"] == list(sig), entry["signature"]
    d = entry["replays"]["digests"]
    assert len(d) == 3 and len(set(d)) == 1 and entry["replays"]["identical"], d
    c = spec.load(str(out / reproducers.SPEC_NAME))
    exp = c.get(entry["minimal"]["id"])
    assert exp.to_line() == entry["minimal"]["line"]
    again = runner.run(exp, campaign=c)
    assert tuple(signature(again)) == tuple(sig), again["why"]
    assert trace_digest(again) == d[0]
    assert f"spec line: {entry['minimal']['line']}" in text, text
    assert entry["gdb"] in text and "3 replays: traces byte-identical" in text, text
    return exp, again


def test_crash_given_up_shrinks_its_trigger_within_the_budget(tmp_path, capsys, os_built):
    # kv crashing at 16 requests in a row exhausts RS's restarts; the
    # budget ends the search in the steps pass, keeping what it had
    text, e, out = minimize(tmp_path, capsys, "kv crash trigger=times:16", "kv-crash-times:16",
                            budget=10)
    replayed(text, e, out, ("given_up", "escalate", "kv.put"))
    k = int(e["minimal"]["trigger"].split(":")[1])
    assert e["minimal"]["trigger"].startswith("times:") and k < 16, e["minimal"]
    assert e["runs"] == 10 and e["exhausted"] == "steps", e
    assert e["minimal"]["step_count"] < e["from"]["step_count"], e["minimal"]


def test_client_hang_shrinks_trigger_steps_and_load(tmp_path, capsys, os_built):
    # every request of the client to kv is lost at delivery, nine times: a
    # lost request costs the client its deadline (ipc_timeout, issue 22)
    # before it asks again, so the losses outlast the experiment's limit
    # and the client is still waiting at its end
    text, e, out = minimize(tmp_path, capsys, "kv drop site=kernel.ipc.drop trigger=times:9",
                            "kv-drop-site=kernel.ipc.drop-times:9", budget=40, timeout=5)
    replayed(text, e, out, ("client_hung", "ipc_timeout", "kernel.ipc.drop"))
    assert e["exhausted"] is None, e["note"]
    assert int(e["minimal"]["trigger"].split(":")[1]) < 9
    assert e["minimal"]["load"] < e["from"]["load"] and \
        e["minimal"]["step_count"] < e["from"]["step_count"], e["minimal"]


def test_state_loss_shrinks_its_load_and_replays_under_gdb(tmp_path, capsys, os_built):
    # truth.spec's early loss: the 7th crash in a row escalates to a
    # pristine restart; the line's own steps then carry less load
    text, e, out = minimize(tmp_path, capsys, "kv crash trigger=times:7", "kv-crash-times:7",
                            budget=40)
    exp, again = replayed(text, e, out, ("recovered_state_lost", "escalate", "kv.put"))
    assert e["exhausted"] is None, e["note"]
    assert e["minimal"]["load"] < e["from"]["load"], e["minimal"]
    assert e["minimal"]["step_count"] < e["from"]["step_count"], e["minimal"]
    # the printed command, run under gdb to the end, gives the same trace
    from faultinj.events import parse_text
    from tests.test_gdb import make_gdb
    words = shlex.split(e["gdb"])
    assert words[:2] == ["make", "gdb"], e["gdb"]
    log = tmp_path / "console.log"
    make_gdb(os_built, *words[2:], f"CONSOLE={log}", gdbargs="-ex continue")
    assert [ev.raw for ev in parse_text(log.read_text())] == again["events"]


def test_all_signatures_of_a_campaign_reach_its_report(tmp_path, capsys, os_built):
    sp = tmp_path / "c.spec"
    sp.write_text("campaign mzall\nseed 1\ntimeout 5\n"
                  "kv crash trigger=nth:20\n"
                  "kv drop site=kernel.ipc.drop trigger=times:9\n")
    out = tmp_path / "out"
    engine.run_campaign(engine.Settings(spec=str(sp), out=str(out)), jobs=1,
                        progress=lambda r: None)
    html = (out / "index.html").read_text()
    assert "not minimised" in html
    rc = cli.main(["minimize", "--all", "--results", str(out / "results.json"),
                   "--budget", "6"])
    text = capsys.readouterr().out
    assert rc == 0, text
    entries = json.loads((out / reproducers.JSON_NAME).read_text())["reproducers"]
    # one signature: the hang (the crash at nth:20 is recovered)
    assert [x["from"]["id"] for x in entries] == ["kv-drop-site=kernel.ipc.drop-times:9"]
    html = (out / "index.html").read_text()
    assert entries[0]["minimal"]["line"] in html and "3 replays, byte-identical traces" in html
    assert "not minimised" not in html
    doc = json.loads((out / "results.json").read_text())
    sig = doc["summary"]["survival"]["signatures"][0]
    assert sig["reproducer"]["id"] == entries[0]["minimal"]["id"]
