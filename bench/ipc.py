"""IPC round-trip cost: ktest does N sendrec round trips with peer. Under
deterministic TCG (-icount shift=0) one virtual nanosecond is one guest
instruction, so virtual time per round trip is instructions per round
trip. Where /dev/kvm works, the same run under KVM gives TSC cycles."""

from faultinj import bootimage
from faultinj.qemu import Qemu, kvm_usable

N = 20000


def run_ipc_bench(kvm):
    mods = bootimage.modules(["rs", "peer", "lonely", ("victim", "none"), ("ktest", f"bench {N}")])
    q = Qemu(bootimage.kernel_path(), mods, icount=not kvm, kvm=kvm, timeout=120)
    with q:
        r = q.wait()
    ev = [e for e in r.events if e.kind == "bench"]
    if r.outcome != "halt" or not ev:
        why = (r.stderr.strip().splitlines() or [r.serial[-300:]])[0]
        raise RuntimeError(f"bench run failed ({r.outcome}): {why}")
    return ev[0], r


def report():
    ev, r = run_ipc_bench(kvm=False)
    n = ev.int("n")
    print(f"IPC round trip (sendrec + reply), {n} iterations, TCG -icount shift=0:")
    print(f"  guest instructions per round trip: {ev.int('usec_total') * 1000 / n:.0f}")
    print(f"  host time for the whole boot+bench: {r.host_seconds:.2f} s")
    if kvm_usable():
        try:
            ev, _ = run_ipc_bench(kvm=True)
            print(f"  KVM: TSC cycles per round trip: {ev.int('tsc_total') / ev.int('n'):.0f}")
        except Exception as e:   # nested KVM here is unreliable: report, don't fail
            print(f"  KVM: run failed ({str(e).splitlines()[0]})")
    else:
        print("  KVM: /dev/kvm not usable here; no cycle figure")
