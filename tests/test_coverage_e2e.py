"""make coverage: the campaign on the gcov build streams every binary's
counters to the host after each experiment, merges them and produces lcov
pages; RS's restart, heartbeat-timeout, init-failure and live-update paths
are covered, and the report shows RS's and SEF's line and branch coverage."""

import json
import os
import subprocess
from html.parser import HTMLParser

from faultinj import bootimage


def test_campaign_coverage(tmp_path):
    spec = tmp_path / "cov.spec"
    spec.write_text("campaign cov\ntimeout 60\n"
                    "kv crash trigger=nth:20\n"
                    "kv hang site=kv.get trigger=nth:10\n"
                    "kv init_fail mode=dynamic\n"
                    "kv lu_ok\n")
    out = tmp_path / "out"
    env = dict(os.environ, CAMPAIGN_OUT=str(out))
    r = subprocess.run(["make", "-s", "coverage", f"SPEC={spec}", "JOBS=2"], cwd=bootimage.ROOT,
                       env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    summary = json.loads((out / "coverage" / "summary.json").read_text())
    fn = summary["functions"]
    for name in ("os/servers/rs/lifecycle.c:do_restart",        # restart
                 "os/servers/rs/lifecycle.c:service_hung",      # heartbeat timeout
                 "os/servers/rs/lifecycle.c:bring_down",        # init failure -> down
                 "os/servers/rs/update.c:lu_ready",             # live update
                 "os/servers/rs/update.c:start_update",
                 "os/lib/sef/sef.c:sef_startup",
                 "os/kernel/ipc_entry.c:ipc_trap",
                 # ipc.c is built twice: the copy without fault sites runs
                 # while nothing is armed
                 "os/kernel/ipc.c:ipc_trap_nofi"):
        assert fn.get(name, 0) > 0, name
    comps = summary["components"]
    for c in ("kernel", "rs", "sef"):
        assert 0 < comps[c]["lines"] <= 100 and comps[c]["branches"] is not None
    assert (out / "coverage" / "html" / "index.html").exists()
    results = json.loads((out / "results.json").read_text())
    assert results["coverage"]["rs"]["lines"] == comps["rs"]["lines"]
    html = (out / "index.html").read_text()
    assert 'href="coverage/html/index.html"' in html

    class Links(HTMLParser):
        links = []

        def handle_starttag(self, tag, attrs):
            if tag == "a":
                self.links.append(dict(attrs).get("href", ""))
    p = Links()
    p.feed(html)
    assert all((out / l).exists() for l in p.links if l and not l.startswith(("http", "#")))
