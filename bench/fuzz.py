"""A million hostile calls: ktest's fuzzer (os/tests/ktest.c t_fuzz) makes
random kernel calls and IPC with hostile endpoints, pointers and lengths,
process-ending and -changing calls aimed at RS's live processes among them.
Figures: calls, how many were refused, how many attempts on another's
process were refused (and obeyed: must be 0), results outside the known
error codes (must be 0), kernel panics (must be 0), host time."""

from faultinj import bootimage
from faultinj.qemu import Qemu

N = 1_000_000
SEEDS = (11, 12)


def run(seed):
    mods = bootimage.modules(["rs", "peer", "lonely", ("victim", "none"),
                              ("ktest", f"fuzz {N // len(SEEDS)} {seed}")])
    with Qemu(bootimage.kernel_path(), mods, timeout=600) as q:
        r = q.wait()
    done = [e for e in r.events if e.kind == "fuzz_done"]
    panics = sum(1 for line in r.serial.splitlines() if "PANIC" in line)
    return r, (done[0] if done else None), panics


def report():
    print(f"Hostile calls (ktest fuzz, {N} calls over seeds {', '.join(map(str, SEEDS))}):")
    tot = dict(n=0, errors=0, strange=0, live_denied=0, live_obeyed=0, panics=0, secs=0.0)
    for seed in SEEDS:
        r, done, panics = run(seed)
        if done is None:
            print(f"  seed {seed}: no fuzz_done event, run ended {r.outcome} (a failure)")
            tot["panics"] += panics
            continue
        for k in ("n", "errors", "strange", "live_denied", "live_obeyed"):
            tot[k] += done.int(k)
        tot["panics"] += panics
        tot["secs"] += r.host_seconds
        print(f"  seed {seed}: {done.int('n')} calls, {done.int('errors')} refused, "
              f"{done.int('live_denied')} on another's process refused, "
              f"{done.int('live_obeyed')} obeyed, {done.int('strange')} unknown results, "
              f"ended {r.outcome}, {r.host_seconds:.1f} s host")
    print(f"  total: {tot['n']} calls, {tot['strange']} unknown results, "
          f"{tot['live_obeyed']} obeyed on another's process, {tot['panics']} panics, "
          f"{tot['secs']:.1f} s host")
