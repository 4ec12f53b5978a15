"""Random requests to every server (msgfuzz, a user program) get answers,
never a crash or a hang: RS has nothing to recover afterwards."""

import pytest

from faultinj import bootimage


@pytest.mark.parametrize("seed", [1, 2])
def test_servers_survive_random_requests(live_os, seed):
    con = live_os(bootimage.system(init=f"msgfuzz 3000 {seed}"))
    done = con.wait_event("msgfuzz_done", timeout=60)
    assert done.int("sent") > 2000 and done.int("ipc_failed") == 0
    assert done.int("errors") > 0 and done.int("ok") > 0
    for kind in ("died", "ping_missed", "restarted", "fault", "panic"):
        assert not con.events(kind), [e.raw for e in con.events(kind)]
    # everyone still answers (kv's table may be full of the fuzzer's keys,
    # which is its right: the echo workload checks service)
    mark = con.mark()
    con.run("run wl echo 30")
    after = con.wait_event("wl_done", since=mark)
    assert after.int("answered") == 30 and after.int("wrong") == 0
    con.run("service list")
    assert len(con.events("service", since=mark)) == 9      # RS has its own slot
    con.run("ps")
