"""The report in a real browser: Debian's Chromium, headless, opens a
campaign's index.html from a local web server (same origin, so a harness
page can look inside it) and checks that every image loaded and every link
resolves. The harness writes its findings into its own page, which
Chromium prints (--dump-dom)."""

import functools
import http.server
import json
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

from reports.tests.test_build import COVERAGE, synthetic

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

HARNESS = """<!doctype html><html><body><pre id="out">pending</pre>
<iframe id="r" src="index.html" style="width:1200px;height:900px"></iframe>
<script>
document.getElementById('r').addEventListener('load', async () => {
  const doc = document.getElementById('r').contentDocument;
  const imgs = [...doc.images].map(i => ({src: i.getAttribute('src'),
                                           ok: i.complete && i.naturalWidth > 0}));
  const links = [];
  for (const a of doc.querySelectorAll('a[href]')) {
    const href = a.getAttribute('href');
    if (href.startsWith('#')) {
      links.push({href, ok: !!doc.getElementById(href.slice(1))});
      continue;
    }
    let ok = false;
    try { ok = (await fetch(new URL(href, doc.baseURI), {method: 'HEAD'})).ok; } catch (e) {}
    links.push({href, ok});
  }
  document.getElementById('out').textContent =
      'RESULT ' + JSON.stringify({title: doc.title, imgs, links});
});
</script></body></html>"""


def _serve(root: Path):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def _render(root: Path) -> dict:
    (root / "harness.html").write_text(HARNESS)
    httpd = _serve(root)
    try:
        with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
            url = f"http://127.0.0.1:{httpd.server_address[1]}/harness.html"
            r = subprocess.run(
                [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", f"--user-data-dir={profile}", "--virtual-time-budget=10000",
                 "--dump-dom", url],
                capture_output=True, text=True, timeout=120)
    finally:
        httpd.shutdown()
    m = re.search(r"RESULT (\{.*?\})</pre>", r.stdout.replace("&quot;", '"').replace("&amp;", "&"))
    assert m, f"the harness never reported (chromium exit {r.returncode}):\n{r.stderr[-2000:]}"
    return json.loads(m.group(1))


def test_report_renders_with_every_image_and_link(tmp_path):
    from reports.build import write_report
    assert CHROMIUM, "Debian's chromium is missing: run `make deps`"
    out = tmp_path / "report"
    write_report(synthetic(), str(out), "browser-check", coverage=COVERAGE)
    # the link to the lcov pages must resolve (make coverage writes them)
    (out / "coverage").mkdir()
    (out / "coverage" / "index.html").write_text("<html><title>lcov</title></html>")
    seen = _render(out)
    assert any(lk["href"].startswith("coverage/") for lk in seen["links"])
    assert "browser-check" in seen["title"]
    assert seen["imgs"], "the report has plots"
    assert [i for i in seen["imgs"] if not i["ok"]] == []
    assert [lk for lk in seen["links"] if not lk["ok"]] == []


def test_a_missing_plot_or_page_is_seen_by_the_browser(tmp_path):
    """The check can fail: a deleted plot and a missing coverage page are
    both reported by the browser."""
    from reports.build import write_report
    assert CHROMIUM, "Debian's chromium is missing: run `make deps`"
    out = tmp_path / "report"
    paths = write_report(synthetic(), str(out), "browser-check", coverage=COVERAGE)
    Path(paths["plots"][0]).unlink()
    seen = _render(out)
    assert [i for i in seen["imgs"] if not i["ok"]]
    assert [lk for lk in seen["links"] if not lk["ok"] and lk["href"].startswith("coverage/")]


def test_survivability_report_renders_with_every_timeline_and_link(tmp_path):
    """A campaign with EDFI-style faults and failures: every timeline SVG
    loads as an image, and the links to them, to the pictures and to their
    anchors (from the signature list and the failed table) resolve."""
    from reports.build import TIMELINE_PREFIX, write_report
    from reports.tests.traces import edfi_campaign
    assert CHROMIUM, "Debian's chromium is missing: run `make deps`"
    out = tmp_path / "report"
    paths = write_report(edfi_campaign(), str(out), "edfi-check")
    seen = _render(out)
    tl_imgs = [i for i in seen["imgs"] if i["src"].startswith(TIMELINE_PREFIX)]
    assert len(tl_imgs) == len(paths["timelines"]) > 0
    assert [i for i in seen["imgs"] if not i["ok"]] == []
    hrefs = {lk["href"] for lk in seen["links"]}
    assert {"#survival", "#failstop", "#signatures", "#timelines", "#tl-1"} <= hrefs
    assert any(h.startswith(TIMELINE_PREFIX) for h in hrefs)
    assert [lk for lk in seen["links"] if not lk["ok"]] == []
