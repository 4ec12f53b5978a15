"""campaigns/check.py on made-up site lists: a campaign is refused at the
line of the first experiment the build could not run, and ONLY= must
select something."""

import pytest

from campaigns import check, spec

SITES = {
    "kernel": {"kernel.ipc.send": 1, "kernel.call": 1},
    "kv": {"kv.put": 0, "kv.get": 0, "kv.put.err": 1, "sef.ping": 0, "sef.pong": 1,
           "sef.init": 1, "sef.lu.prepare": 1},
    "echo": {"echo.echo": 0, "sef.ping": 0, "sef.pong": 1, "sef.init": 1},
    "init": {},
}


def refused(text):
    c = spec.parse("campaign x\n" + text, "c.spec")
    with pytest.raises(spec.SpecError) as ei:
        check.check_campaign(c, SITES)
    return str(ei.value)


@pytest.mark.parametrize("line,problem", [
    ("kvv crash", "unknown service 'kvv' (known: kv, echo, init)"),
    ("kernel crash", "unknown service 'kernel'"),
    ("kv crash site=kv.nope", "unknown site 'kv.nope' for kv (kv has: kv.get,"),
    ("echo crash site=kv.put", "unknown site 'kv.put' for echo"),
    ("init crash", "unknown default site of crash 'sef.ping' for init (init has: none;"),
    ("kv init_fail site=kv.put", "site 'kv.put' is a FI_POINT site, and init_fail needs a FI_ERROR"),
    ("kv crash site=kv.put.err", "is a FI_ERROR site, and crash needs a FI_POINT one"),
])
def test_refused_at_its_line(line, problem):
    msg = refused("kv crash\n" + line + "\n")
    assert msg.startswith("c.spec:3: "), msg
    assert problem in msg, msg


def test_runnable_campaign_passes():
    c = spec.parse("campaign x\nkv crash\nkv error\necho error\nkv lu_ok\ninit lu_ok\n"
                   "echo drop\nkv init_fail mode=dynamic\n", "c.spec")
    check.check_campaign(c, SITES)          # kernel sites count for every process


def test_only_must_match():
    c = spec.parse("campaign x\nkv crash trigger=nth:20\necho hang\n", "c.spec")
    assert check.select(c, "").ids() == c.ids()
    assert check.select(c, "kv-*, echo-hang-nth:1").ids() == c.ids()
    with pytest.raises(check.InputError) as ei:
        check.select(c, "echo-*,kv-crash-nth:2", var="ONLY")
    msg = str(ei.value)
    assert msg.startswith("ONLY='echo-*,kv-crash-nth:2': 'kv-crash-nth:2' matches no experiment")
    assert "did you mean kv-crash-nth:20" in msg


def test_spec_file_problems(tmp_path):
    with pytest.raises(check.InputError, match=r"^SPEC=nope.spec: no such file$"):
        check.read_spec("nope.spec", root=tmp_path)
    with pytest.raises(check.InputError, match=r"is a directory"):
        check.read_spec(str(tmp_path))
    with pytest.raises(check.InputError, match=r"^CAMPAIGN_SPEC is empty"):
        check.read_spec("", "CAMPAIGN_SPEC")
    (tmp_path / "e.spec").write_text("# nothing yet\ncampaign e\nseed 3\n\n")
    with pytest.raises(spec.SpecError, match=r"e.spec:4: no experiments"):
        check.read_spec("e.spec", root=tmp_path)
