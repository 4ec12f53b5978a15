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
    ("kv init_fail site=kv.put", "init_fail cannot act at kv.put (a hand FI_POINT site; it "
                                 "applies at hand FI_ERROR sites; kv's hand sites where it acts: "
                                 "kv.put.err, sef.init, sef.lu.prepare, sef.pong)"),
    ("kv crash site=kv.put.err", "crash cannot act at kv.put.err (a hand FI_ERROR site; it "
                                 "applies at hand FI_POINT sites, automatic sites; kv's hand "
                                 "sites where it acts: kv.get, kv.put, sef.ping)"),
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


# ---------------------------------------------------------------- fault type at its site
# A fault type acts only at the kinds of site the contract gives it
# (contract/guest_host.def): an EDFI type at a hand FI_POINT site would
# "fire" with no effect and score benign, so it is refused up front.

@pytest.mark.parametrize("fault", ["flip_branch", "null_ptr", "stuck_loop", "corrupt_ptr"])
def test_edfi_type_at_a_hand_point_site_is_refused(fault):
    msg = refused(f"kv crash\nkv {fault} site=kv.put\n")
    assert msg == (f"c.spec:3: {fault} cannot act at kv.put (a hand FI_POINT site; "
                   f"it applies at automatic sites)"), msg


@pytest.mark.parametrize("line,problem", [
    ("kv crash site=kernel.ipc.send", "crash cannot act at kernel.ipc.send (a kernel site; "
                                      "it applies at hand FI_POINT sites, automatic sites;"),
    ("kv null_ptr site=kv.put.err", "null_ptr cannot act at kv.put.err (a hand FI_ERROR site;"),
    ("kv init_fail site=kernel.call", "init_fail cannot act at kernel.call (a kernel site;"),
])
def test_type_at_a_site_of_another_kind_is_refused(line, problem):
    msg = refused("kv crash\n" + line + "\n")
    assert msg.startswith("c.spec:3: " + problem), msg


@pytest.mark.parametrize("fault,service", [("flip_branch", "kv"), ("null_ptr", "echo"),
                                           ("skip_insn", "kv")])
def test_implicit_default_site_is_checked_too(fault, service):
    """No site= : the default site (campaigns/scenario.py) is a hand FI_POINT
    one, where an EDFI type cannot act."""
    msg = refused(f"kv crash\n{service} {fault}\n")
    assert msg.startswith(f"c.spec:3: {fault} cannot act at the default site "), msg
    assert "(a hand FI_POINT site; it applies at automatic sites)" in msg, msg


def test_crash_at_a_hand_point_site_and_error_at_a_kernel_site_pass():
    c = spec.parse("campaign x\nkv crash site=kv.put\nkv drop site=kernel.ipc.send\n"
                   "kv error site=kernel.call\nkv bitflip site=kv.get\n", "c.spec")
    check.check_campaign(c, SITES)


# ---------------------------------------------------------------- the CLI on the real build

def _cli(tmp_path, text, build):
    import subprocess
    import sys
    from faultinj import bootimage
    f = tmp_path / "x.spec"
    f.write_text("campaign x\n" + text)
    return f, subprocess.run([sys.executable, "-m", "campaigns", "check", str(f),
                              "--build", str(build)], cwd=bootimage.ROOT,
                             capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("fault", ["flip_branch", "null_ptr", "stuck_loop", "corrupt_ptr"])
def test_cli_refuses_an_edfi_type_at_kv_put(fault, tmp_path, os_built):
    f, r = _cli(tmp_path, f"kv crash\n# a comment\nkv {fault} site=kv.put\n", os_built)
    assert r.returncode == 2, r.stderr
    assert (f"{f}:4: {fault} cannot act at kv.put (a hand FI_POINT site; it applies at "
            f"automatic sites)") in r.stderr, r.stderr


def test_cli_accepts_crash_at_kv_put_and_flip_branch_at_a_conditional_jump(tmp_path, os_built):
    from faultinj import autosites
    site = next(s for s in autosites.sites(str(os_built / "kv.elf")) if "flip_branch" in s.targets)
    f, r = _cli(tmp_path, f"kv crash site=kv.put\nkv flip_branch site={site.name}\n", os_built)
    assert r.returncode == 0, r.stderr


def test_cli_refuses_flip_branch_at_a_block_without_a_conditional_jump(tmp_path, os_built):
    from faultinj import autosites
    site = next(s for s in autosites.sites(str(os_built / "kv.elf"))
                if "flip_branch" not in s.targets)
    f, r = _cli(tmp_path, f"kv flip_branch site={site.name}\n", os_built)
    assert r.returncode == 2, r.stderr
    assert f"{f}:2: flip_branch does not apply at {site.name}" in r.stderr, r.stderr


def test_edfi_faultload_generates_only_pairs_the_check_accepts(os_built):
    """campaigns/faultload.py draws a type among those that act at the drawn
    automatic site; every line it writes passes the same check."""
    from faultinj import autosites, contract
    from campaigns import faultload
    targets = ("kv", "echo")
    gold = {b: {s.marker: 10 for s in autosites.sites(str(os_built / f"{b}.elf"))} for b in targets}
    text = faultload.generate(gold, 60, seed=3, targets=targets)
    c = spec.parse(text, "edfi.spec")
    assert len(c.experiments) == 60
    assert {e.fault for e in c.experiments} <= set(contract.types_at("auto"))
    assert set(faultload.FAULTS) == set(contract.types_at("auto"))
    check.check_campaign(c, check.build_sites(os_built, check.services()), os_built)
