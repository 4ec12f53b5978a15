"""A million hostile calls: ktest's fuzzer (os/tests/ktest.c t_fuzz) makes
random kernel calls and IPC with hostile endpoints, pointers and lengths,
process-ending and -changing calls aimed at RS's live processes among them.
Figures: calls, how many were refused, how many attempts on another's
process were refused (and obeyed: must be 0), results outside the known
error codes (must be 0), kernel panics (must be 0), host time.

Then big images (issue 20): exec of programs with a 1 and 3 MiB .bss
(os/tests/bss*.c), the virtual time from PM's fork to the kernel's exec
event (under icount shift=0 a microsecond is a thousand instructions;
nearly all of it the exec call, which runs with interrupts off and must
stay far below the lockup detector's 30 ms), and a 24 MiB one refused."""

from faultinj import bootimage
from faultinj.console import Console
from faultinj.qemu import Qemu

BIG = ("bss1m", "bss3m", "bss24m")

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
    print()
    exec_report()


def exec_report():
    print("Big images (exec of a large .bss, 3 runs each):")
    mods = bootimage.modules(bootimage.system() + [(p, "noexec") for p in BIG])
    with Qemu(bootimage.kernel_path(), mods, timeout=300) as q:
        con = Console(q)
        con.wait_ready(timeout=60)
        for name in BIG:
            times, results = [], set()
            for _ in range(3):
                m = con.mark()
                r = con.run(f"run {name}", expect=None, timeout=60).int("result")
                results.add(r)
                evs = q.serial.events[m:]
                forks = [e for e in evs if e.kind == "fork" and e.get("parent") == "pm"]
                execs = [e for e in evs if e.kind == "exec" and e.get("proc") == name]
                if forks and execs:
                    times.append(execs[0].t - forks[-1].t)
                if r == 0:
                    con.wait_event("bigbss_done", since=m, timeout=60)
            panics = sum(1 for e in q.serial.events if e.kind == "panic")
            what = (f"fork->exec {', '.join(f'{t} us' for t in times)} virtual" if times
                    else "not loaded")
            print(f"  {name}: results {sorted(results)}, {what}, {panics} panics")
