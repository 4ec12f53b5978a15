# Unit tests of campaigns/spec.py: parsing, errors with line numbers,
# expectation defaults, generate/sample determinism and dump round trips.

import random
import shlex
from types import SimpleNamespace

import pytest

from campaigns import spec
from campaigns.spec import Campaign, Experiment, SpecError, Trigger

EXAMPLE = """\
# a comment line
campaign victims-basic   # trailing comment
seed 7
timeout 30

kv    crash      site=kv.put  trigger=nth:3
kv    crash      site=kv.get
echo  hang
	echo  stale_ping   trigger=times:2
kv    init_fail  mode=dynamic
kv    init_fail
ds    drop       site=ds.reply trigger=prob:0.25 seed=11
kv    delay      site=kv.put arg=0x10 expect=not_activated timeout=2.5
kv    error      site=kv.put workload=kv policy=restart
"""


def test_parse_example():
    c = spec.parse(EXAMPLE, "ex.spec")
    assert c.name == "victims-basic"
    assert c.seed == 7
    assert c.timeout == 30.0
    assert c.filename == "ex.spec"
    assert len(c) == 9
    first = c.experiments[0]
    assert first == Experiment("kv", "crash", site="kv.put", trigger=Trigger("nth", 3),
                               expect="recovered")
    assert first.id == "kv-crash-site=kv.put-nth:3"
    assert first.line == 6
    assert [e.line for e in c] == [6, 7, 8, 9, 10, 11, 12, 13, 14]
    assert c.experiments[1].trigger == Trigger()
    assert c.experiments[3].trigger == Trigger("times", 2)
    drop = c.experiments[6]
    assert drop.trigger == Trigger("prob", 0.25) and drop.seed == 11
    delay = c.experiments[7]
    assert delay.arg == 16 and delay.expect == "not_activated" and delay.timeout == 2.5
    err = c.experiments[8]
    assert err.workload == "kv" and err.policy == "restart"


def test_default_expectations():
    c = spec.parse(EXAMPLE, "ex.spec")
    by_id = {e.id: e.expect for e in c}
    assert by_id["kv-init_fail-nth:1-mode=dynamic"] == "torn_down"
    assert by_id["kv-init_fail-nth:1"] == "halted"
    assert by_id["echo-hang-nth:1"] == "recovered"
    # an update that never gets ready is aborted and undone, nothing else
    assert spec.parse("campaign x\nkv lu_timeout\n").experiments[0].expects == ("rolled_back",)
    for fault in spec.FAULTS:
        if fault not in ("init_fail", "lu_timeout"):
            e = spec.parse(f"campaign x\nkv {fault}\n").experiments[0]
            # faults a service may absorb accept benign too; none accepts a failure
            assert "recovered" in e.expects, fault
            assert set(e.expects) <= {"recovered", "benign"}, fault


def test_custom_expectation_table():
    table = dict(spec.DEFAULT_EXPECT)
    table["oom"] = "halted"                           # a new fault type
    table[("rs", "crash")] = "halted"                 # a (service, fault) entry wins
    table["bitflip"] = lambda e: "not_activated" if e.site is None else "recovered"
    table["hang"] = {"boot": "recovered", "dynamic": "torn_down"}
    c = spec.parse("campaign x\nkv oom\nrs crash\nkv crash\nkv bitflip\n"
                   "kv bitflip site=kv.put\nkv hang mode=dynamic\n", defaults=table)
    assert [e.expect for e in c] == ["halted", "halted", "recovered", "not_activated",
                                     "recovered", "torn_down"]
    # the default table does not know "oom"
    with pytest.raises(SpecError, match="unknown fault type 'oom'"):
        spec.parse("campaign x\nkv oom\n")
    # a table that leaves a mode out is reported on the line
    with pytest.raises(SpecError, match=r"^<spec>:2: .*mode 'dynamic'"):
        spec.parse("campaign x\nkv crash mode=dynamic\n", defaults={"crash": {"boot": "recovered"}})


def test_known_faults_and_default_expect():
    assert spec.known_faults() == spec.FAULTS
    assert spec.known_faults({"a": "recovered", ("kv", "b"): "halted"}) == ("a", "b")
    assert spec.default_expect(Experiment("kv", "init_fail", mode="dynamic")) == "torn_down"


ERRORS = [
    # (text, line, fragment of the problem)
    ("kv crash\n", 1, "missing 'campaign NAME' line"),
    ("# only comments\n\n", 2, "missing 'campaign NAME' line"),
    ("", 1, "missing 'campaign NAME' line"),
    ("seed 3\ncampaign x\n", 1, "missing 'campaign NAME' line"),
    ("campaign x\ncampaign y\n", 2, "second 'campaign' line"),
    ("campaign x y\n", 1, "takes exactly one value"),
    ("campaign\n", 1, "takes exactly one value"),
    ("campaign x$\n", 1, "bad campaign name"),
    ("campaign x\nseed 1\nseed 2\n", 3, "second 'seed' line"),
    ("campaign x\nseed abc\n", 2, "bad number 'abc' for seed"),
    ("campaign x\nseed -1\n", 2, "bad number '-1' for seed"),
    ("campaign x\ntimeout fast\n", 2, "bad number 'fast' for timeout"),
    ("campaign x\ntimeout 0\n", 2, "bad number '0' for timeout"),
    ("campaign x\ntimeout nan\n", 2, "bad number 'nan' for timeout"),
    ("campaign x\ntimeout 1\ntimeout 2\n", 3, "second 'timeout' line"),
    ("campaign x\nkv crash\nseed 4\n", 3, "must come before the first experiment"),
    ("campaign x\n\nkv crsh\n", 3, "unknown fault type 'crsh'"),
    ("campaign x\nkv\n", 2, "expected '<service> <fault>"),
    ("campaign x\nkv site=kv.put\n", 2, "expected '<service> <fault>"),
    ("campaign x\nkv crash sight=kv.put\n", 2, "unknown key 'sight'"),
    ("campaign x\nkv crash kv.put\n", 2, "expected key=value, got 'kv.put'"),
    ("campaign x\nkv crash =3\n", 2, "expected key=value, got '=3'"),
    ("campaign x\nkv crash site=\n", 2, "empty value for 'site'"),
    ("campaign x\nkv crash site=a site=b\n", 2, "key 'site' given twice"),
    ("campaign x\nkv crash site=a;b\n", 2, "bad characters"),
    ("campaign x\nkv crash trigger=nth:x\n", 2, "bad number 'x' for trigger 'nth:x'"),
    ("campaign x\nkv crash trigger=times:0\n", 2, "count must be at least 1"),
    ("campaign x\nkv crash trigger=prob:1.5\n", 2, "probability out of range"),
    ("campaign x\nkv crash trigger=prob:0\n", 2, "probability out of range"),
    ("campaign x\nkv crash trigger=prob:zero\n", 2, "bad number 'zero'"),
    ("campaign x\nkv crash trigger=every:2\n", 2, "unknown trigger kind 'every'"),
    ("campaign x\nkv crash trigger=nth\n", 2, "bad trigger 'nth'"),
    ("campaign x\nkv crash expect=fine\n", 2, "unknown outcome 'fine'"),
    ("campaign x\nkv crash expect=failed\n", 2, "unknown outcome 'failed'"),
    ("campaign x\nkv crash mode=lazy\n", 2, "unknown mode 'lazy'"),
    ("campaign x\nkv crash policy=maybe\n", 2, "unknown policy 'maybe'"),
    ("campaign x\nkv crash arg=1.5\n", 2, "bad number '1.5' for arg"),
    ("campaign x\nkv crash seed=-2\n", 2, "bad number '-2' for seed"),
    ("campaign x\nkv crash timeout=-1\n", 2, "bad number '-1' for timeout"),
    ("campaign x\nk$v crash\n", 2, "bad service name"),
    ("campaign x\nkv crash site=.put\n", 2, "bad site name '.put'"),
    ("campaign x\nkv crash workload=-w\n", 2, "unknown workload '-w'"),
    # numbers beyond what the guest's fields and watchdog hold
    ("campaign x\ntimeout 1e308\n", 2, "timeout '1e308' out of range"),
    ("campaign x\nkv crash timeout=1e308\n", 2, "timeout '1e308' out of range"),
    ("campaign x\nkv crash timeout=0.0001\n", 2, "timeout '0.0001' out of range"),
    ("campaign x\nkv crash trigger=nth:-3\n", 2, "count must be at least 1"),
    ("campaign x\nkv crash trigger=nth:4294967296\n", 2, "count out of range"),
    ("campaign x\nkv crash trigger=prob:1e-9\n", 2, "never fires"),
    ("campaign x\nkv crash arg=0x100000000\n", 2, "arg '0x100000000' out of range"),
    ("campaign x\nkv crash arg=-2147483649\n", 2, "out of range"),
    ("campaign x\nkv crash seed=4294967296\n", 2, "seed '4294967296' out of range"),
    ("campaign x\nkv crash\n# x\nkv crash expect=halted\n", 4,
     "duplicate experiment kv-crash-nth:1 (first on line 2)"),
    ("campaign x\nkv crash site=kv.put trigger=nth:2\nkv crash trigger=nth:2 site=kv.put timeout=9\n",
     3, "duplicate experiment kv-crash-site=kv.put-nth:2 (first on line 2)"),
]


@pytest.mark.parametrize("text,line,problem", ERRORS)
def test_errors_name_file_and_line(text, line, problem):
    with pytest.raises(SpecError) as ei:
        spec.parse(text, "bad.spec")
    msg = str(ei.value)
    assert msg.startswith(f"bad.spec:{line}: "), msg
    assert problem in msg, msg
    assert ei.value.where == f"bad.spec:{line}"


def test_unknown_key_lists_known_keys():
    with pytest.raises(SpecError, match=r"known: site, trigger, expect"):
        spec.parse("campaign x\nkv crash colour=red\n")


def test_extra_keys():
    c = spec.parse("campaign x\nkv crash zone=b core=2\nkv crash zone=a\n",
                   extra_keys=["zone", "core"])
    a, b = c.experiments
    assert a.params == (("core", "2"), ("zone", "b"))
    assert a.param("zone") == "b" and a.param("nope", "d") == "d"
    assert a.id == "kv-crash-nth:1-core=2-zone=b"
    assert b.id == "kv-crash-nth:1-zone=a"
    assert spec.parse(spec.dump(c), extra_keys=["zone", "core"]) == c
    with pytest.raises(ValueError):
        spec.parse("campaign x\n", extra_keys=["site"])


def test_ids_are_stable_and_shell_safe():
    c = spec.parse(EXAMPLE)
    ids = c.ids()
    assert len(set(ids)) == len(ids)
    assert ids == [
        "kv-crash-site=kv.put-nth:3",
        "kv-crash-site=kv.get-nth:1",
        "echo-hang-nth:1",
        "echo-stale_ping-times:2",
        "kv-init_fail-nth:1-mode=dynamic",
        "kv-init_fail-nth:1",
        "ds-drop-site=ds.reply-prob:0.25-seed=11",
        "kv-delay-site=kv.put-nth:1-arg=16",
        "kv-error-site=kv.put-nth:1-workload=kv-policy=restart",
    ]
    for i in ids:
        assert shlex.quote(i) == i
    # expectation and timeout are not part of the identity; key order is irrelevant
    a = spec.parse("campaign x\nkv crash site=s trigger=nth:2 expect=halted timeout=3\n").experiments[0]
    b = spec.parse("campaign x\nkv crash trigger=nth:2 site=s\n").experiments[0]
    assert a.id == b.id


def test_trigger_round_trip():
    for text in ("nth:1", "nth:12", "times:3", "prob:0.25", "prob:1", "prob:0.001"):
        t = Trigger.parse(text)
        assert Trigger.parse(str(t)) == t
    assert str(Trigger.parse("prob:.5")) == "prob:0.5"
    assert str(Trigger.parse("nth:0x10")) == "nth:16"
    assert str(Trigger()) == "nth:1"


def test_as_dict_and_line():
    e = spec.parse("campaign x\nkv crash site=kv.put trigger=nth:3\n").experiments[0]
    d = e.as_dict()
    assert d["id"] == e.id and d["expected"] == "recovered" and d["trigger"] == "nth:3"
    assert d["site"] == "kv.put" and d["service"] == "kv" and d["fault"] == "crash"
    assert e.to_line() == "kv crash site=kv.put trigger=nth:3 expect=recovered"


def test_campaign_helpers():
    c = spec.parse(EXAMPLE)
    assert c.get("echo-hang-nth:1").fault == "hang"
    with pytest.raises(KeyError):
        c.get("nope")
    sub = c.select("kv-crash-*")
    assert sub.ids() == ["kv-crash-site=kv.put-nth:3", "kv-crash-site=kv.get-nth:1"]
    assert c.select(["echo-*", "ds-*"]).ids() == [
        "echo-hang-nth:1", "echo-stale_ping-times:2", "ds-drop-site=ds.reply-prob:0.25-seed=11"]
    drop = c.get("ds-drop-site=ds.reply-prob:0.25-seed=11")
    assert c.seed_for(drop) == 11
    e = c.get("echo-hang-nth:1")
    s1 = c.seed_for(e)
    assert s1 == spec.parse(EXAMPLE).seed_for(e)           # reproducible
    assert s1 != c.seed_for(c.get("kv-init_fail-nth:1"))   # differs per experiment
    assert 0 <= s1 < 2 ** 32
    assert c.timeout_for(e) == 30.0
    assert c.timeout_for(c.get("kv-delay-site=kv.put-nth:1-arg=16")) == 2.5
    assert Campaign("y").timeout_for(e, default=5) == 5


def test_dump_round_trip_example():
    c = spec.parse(EXAMPLE, "ex.spec")
    text = spec.dump(c)
    assert spec.parse(text) == c
    assert spec.dump(spec.parse(text)) == text
    assert "expect=halted" in text and "expect=torn_down" in text


def test_dump_round_trip_empty_and_no_timeout():
    c = Campaign("empty")
    assert spec.parse(spec.dump(c)) == c
    c = Campaign("e2", [Experiment("kv", "crash", expect="halted")], seed=3)
    assert spec.parse(spec.dump(c)) == c


def _random_campaign(rng):
    exps = {}
    for _ in range(rng.randint(0, 30)):
        fault = rng.choice(spec.FAULTS)
        kind = rng.choice(spec.TRIGGER_KINDS)
        trig = Trigger(kind, round(rng.uniform(0.06, 1), rng.randint(1, 6))) if kind == "prob" \
            else Trigger(kind, rng.randint(1, 50))
        e = Experiment(
            rng.choice(["kv", "echo", "ds", "pm", "my-svc"]), fault,
            site=rng.choice([None, "kv.put", "sef.ping_reply", "a.b.c"]),
            trigger=trig, expect=rng.choice(spec.OUTCOMES),
            mode=rng.choice(spec.MODES),
            arg=rng.choice([None, 0, -5, 123456]),
            workload=rng.choice([None, "kv"]),
            policy=rng.choice([None, "reset", "restart"]),
            seed=rng.choice([None, 0, 99]),
            timeout=rng.choice([None, 1.0, 0.25, 7.125]))
        exps[e.id] = e
    return Campaign(f"c{rng.randint(0, 99)}", list(exps.values()), seed=rng.randint(0, 10 ** 6),
                    timeout=rng.choice([None, 3.0, 0.5]))


def test_dump_round_trip_random():
    rng = random.Random(1234)
    for _ in range(200):
        c = _random_campaign(rng)
        assert spec.parse(spec.dump(c)) == c


SITES = ["kv.put", "kv.get", "echo.reply", ("echo", "sef.ping_reply"), ("kv", "sef.ping_reply")]


def _faults_for(site):
    name = site if isinstance(site, str) else site[1]
    return ["crash", "hang", "error"] if name.startswith("kv") else ["crash", "drop"]


def test_generate_all_pairs():
    c = spec.generate(SITES, _faults_for)
    assert c.name == "generated" and c.seed == 0
    assert len(c) == 2 * 3 + 3 * 2
    assert len(set(c.ids())) == len(c)
    # ordered by (service, site), faults in the order given
    assert c.ids()[:3] == ["echo-crash-site=echo.reply-nth:1", "echo-drop-site=echo.reply-nth:1",
                           "echo-crash-site=sef.ping_reply-nth:1"]
    assert all("recovered" in e.expects for e in c)
    assert spec.parse(spec.dump(c)) == c


def test_generate_is_independent_of_input_order_and_dedups():
    a = spec.generate(SITES, _faults_for)
    b = spec.generate(list(reversed(SITES)) + SITES[:2], _faults_for)
    assert a == b


def test_generate_sampling_is_deterministic():
    full = spec.generate(SITES, _faults_for)
    s1 = spec.generate(SITES, _faults_for, sample=5, seed=42)
    s2 = spec.generate(list(reversed(SITES)), _faults_for, sample=5, seed=42)
    assert s1 == s2 and len(s1) == 5 and s1.seed == 42
    assert set(s1.ids()) <= set(full.ids())
    # a sample keeps the order of the full campaign
    order = full.ids()
    assert [order.index(i) for i in s1.ids()] == sorted(order.index(i) for i in s1.ids())
    samples = {tuple(spec.generate(SITES, _faults_for, sample=5, seed=s).ids()) for s in range(20)}
    assert len(samples) > 5  # different seeds give different samples
    assert spec.generate(SITES, _faults_for, sample=100).ids() == order
    assert len(spec.generate(SITES, _faults_for, sample=0)) == 0
    with pytest.raises(ValueError):
        spec.generate(SITES, _faults_for, sample=-1)


def test_generate_site_kinds_and_options():
    fs = SimpleNamespace(binary="build/os/servers/ds.elf", name="ds.reply", file="ds.c", line=3)
    d = {"name": "pm.fork", "service": "pm"}
    c = spec.generate([fs, d, "tty.write"], {"ds.reply": ["drop"], "pm.fork": ["init_fail"],
                                            "tty.write": ["delay"]},
                      name="gen1", trigger="times:2", timeout=12, dynamic=["pm"])
    assert c.ids() == ["ds-drop-site=ds.reply-times:2",
                       "pm-init_fail-site=pm.fork-times:2-mode=dynamic",
                       "tty-delay-site=tty.write-times:2"]
    assert c.get("pm-init_fail-site=pm.fork-times:2-mode=dynamic").expect == "torn_down"
    assert c.name == "gen1" and c.timeout == 12
    assert spec.parse(spec.dump(c)) == c


def test_generate_rejects_unknown_fault_and_bad_names():
    with pytest.raises(SpecError, match="generate: site kv.put: unknown fault type 'melt'"):
        spec.generate(["kv.put"], lambda s: ["melt"])
    with pytest.raises(SpecError, match="bad characters in site"):
        spec.generate([("kv", "bad site")], lambda s: ["crash"])


def test_load(tmp_path):
    p = tmp_path / "c.spec"
    p.write_text(EXAMPLE)
    c = spec.load(str(p))
    assert c == spec.parse(EXAMPLE) and c.filename == str(p)
    p.write_text("campaign x\nkv nope\n")
    with pytest.raises(SpecError, match=f"^{p}:2: unknown fault type"):
        spec.load(str(p))


def test_load_refuses_binary_and_non_utf8(tmp_path):
    b = tmp_path / "bin.spec"
    b.write_bytes(b"campaign x\nkv crash\n\x7fELF\x00\x01")
    with pytest.raises(SpecError, match=r"bin.spec:3: binary file"):
        spec.load(str(b))
    t = tmp_path / "latin.spec"
    t.write_bytes(b"campaign x\n\nkv crash  # caf\xe9\n")
    with pytest.raises(SpecError, match=r"latin.spec:3: not UTF-8 text \(byte 0xe9\)"):
        spec.load(str(t))


def test_negative_arg_is_armed_as_its_u32():
    from campaigns import scenario
    e = spec.parse("campaign x\nkv error arg=-5\n").experiments[0]
    assert e.arg == -5 and scenario.arm_spec(e, None)["arg"] == 0xFFFFFFFB
