"""DS under least authority: a user program cannot crowd services out of
DS's tables (per-client and per-user quotas, refused with an error code
and an ev=ds_refused line), cannot publish, delete or save state under a
service's label, and a subscriber that dies loses its subscriptions and the
labels only it kept alive."""

from faultinj import bootimage

EPERM, ENOSPC, EDQUOT = -1, -28, -122
CLIENT_SUBS, USER_LABELS = 4, 8          # DS_CLIENT_SUBS, DS_USER_LABELS in os/servers/ds/ds.h


def system_with(*programs):
    return bootimage.system() + [(p, "noexec") for p in programs]


def booted(con):
    """RS says ready before DS has taken every boot publish: wait for them."""
    for label in ("kv", "echo"):
        con.wait_event("ds_publish", label=label)
    return con


def workload(con, target, count):
    mark = con.mark()
    con.run(f"run wl {target} {count}")
    done = con.wait_event("wl_done", timeout=60, since=mark)
    assert done.int("answered") == count and done.int("wrong") == 0, done.raw
    return done


def test_hostile_subscriber_cannot_crowd_out_or_impersonate_services(live_os):
    con = booted(live_os(system_with("dshog")))
    # echo's label is kept only by its saved state now: a full table would
    # give that entry to the next subscription, and echo could not come back
    m0 = con.mark()
    con.run("service down echo")
    # DS drops echo's entry after the shell has its answer: waited for here,
    # or under load the line arrived after the mark below and was taken
    # for a deletion a hog made
    con.wait_event("ds_delete", since=m0, label="echo")
    mark = con.mark()
    hogs = []
    for _ in range(3):
        m = con.mark()
        con.run("run dshog flood 30")
        hogs.append(con.wait_event("dshog_done", since=m))
    # each hog gets its own quota; the third finds the users' labels used up
    assert [h.int("ok") for h in hogs] == [CLIENT_SUBS, CLIENT_SUBS, 0], [h.raw for h in hogs]
    assert hogs[0].int("quota") == 30 - CLIENT_SUBS and hogs[1].int("quota") == 30 - CLIENT_SUBS
    assert hogs[2].int("full") == 30
    for h in hogs:
        assert (h.int("publish"), h.int("delete"), h.int("store")) == (EPERM, EPERM, EPERM), h.raw
    refused = con.events("ds_refused", since=mark)
    assert {e.get("reason") for e in refused} >= {"client_quota", "user_labels", "not_rs", "no_label"}
    assert all(e.int("err") == EDQUOT for e in refused if e.get("reason") == "client_quota")
    assert con.events("ds_refused", since=mark, op="publish", label="echo", reason="not_rs")
    assert con.events("ds_refused", since=mark, op="delete", label="kv", reason="not_rs")
    assert not con.events("ds_publish", since=mark), [e.raw for e in con.events("ds_publish", since=mark)]
    assert not con.events("ds_delete", since=mark)

    # the hogs are still alive, holding what they got; services are unaffected
    m = con.mark()
    con.run("service up echo")
    # RS publishes through its outbox: DS's line may come after shell_done
    assert con.wait_event("ds_publish", since=m, label="echo")
    assert not con.events("echo_subscribe_failed", since=m)
    workload(con, "echo", 10)
    workload(con, "kv", 20)
    m = con.mark()
    con.run("service restart kv")
    pub = con.wait_event("ds_publish", since=m, label="kv")
    # echo's subscription to kv, made after the flood, still works
    con.wait_event("echo_saw_change", since=m, label="kv", ep=pub.get("ep"))
    assert con.wait_event("kv_restored", since=m).int("keys") > 0
    workload(con, "kv", 10)
    assert not con.events("ds_cleaned", since=mark)           # no hog has died


def test_dead_subscriber_is_cleaned_up(live_os):
    con = booted(live_os(system_with("dshog")))
    # more rounds than the users' label share would hold without cleanup
    for _ in range(4):
        m = con.mark()
        con.run("run dshog sub 3")
        ep = con.wait_event("spawn", since=m, name="dshog").get("ep")
        done = con.wait_event("dshog_done", since=m)
        assert (done.int("ok"), done.int("refused"), done.int("kv")) == (3, 0, 0), done.raw
        # PM reaps it and tells DS; the kernel says the endpoint is dead
        clean = con.wait_event("ds_cleaned", since=m, ep=ep)
        assert clean.int("subs") == 4 and clean.int("labels") == 3 and clean.get("why") == "dead"
    # kv's subscriber list holds only echo again: a kv change reaches echo
    m = con.mark()
    con.run("service restart kv")
    pub = con.wait_event("ds_publish", since=m, label="kv")
    con.wait_event("echo_saw_change", since=m, label="kv", ep=pub.get("ep"))
    assert not con.events("ds_cleaned", since=m)
