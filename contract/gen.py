"""Generate the guest's side of the contract (contract/guest_host.def):
  python3 contract/gen.py OUTDIR
writes OUTDIR/contract.h (constants, fault types and names, triggers, exit
codes) and OUTDIR/contract_check.c (compile-time checks that every struct
listed in the contract has exactly that size and those offsets). The
Makefile regenerates both whenever the .def changes and compiles the check
into the kernel, so a struct changed without the contract fails the build.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import contract  # noqa: E402
import events  # noqa: E402

HEADERS = {"fi_slot": "fi.h", "fi_table": "fi.h", "fi_golden_site": "fi.h", "fi_site": "fi.h",
           "kdebug_info": "kdebug.h", "rprocpub": "rspub.h",
           "conring_hdr": "conring.h"}


def header(c: contract.Contract) -> str:
    out = ["/* contract.h - GENERATED from contract/guest_host.def by contract/gen.py:",
           " * do not edit; change the .def. */",
           "#ifndef OS_CONTRACT_H", "#define OS_CONTRACT_H", ""]
    for name, value in c.consts.items():
        out.append(f"#define {name} {value:#x}u" if value > 0xffff else f"#define {name} {value}")
    for name, text in c.texts.items():
        out.append(f'#define {name} "{text}"')
    out.append("")
    for t in c.types:
        out.append(f"#define {t.cname} {t.number}   /* {t.name}: {t.text} */")
    out.append(f"#define FI_NR_TYPES {len(c.types)}")
    names = ", ".join(f'"{t.name}"' for t in c.types)
    out.append(f"#define FI_TYPE_NAMES {{ {names} }}")
    # the types' properties as bit masks of type numbers: bit n is FI type n
    if len(c.types) > 32:
        raise contract.ContractError("more than 32 fault types: the masks below are 32 bits")
    out.append("/* which fault types act at each kind of site, and which are fail-stop:")
    out.append(" * bit n of a mask is fault type n; FI_TYPE_AT(mask, t) tests it */")
    for kind, text in c.sitekinds.items():
        bits = sum(1 << t.number for t in c.types if kind in t.kinds)
        out.append(f"#define FI_TYPES_AT_{kind.upper()} {bits:#x}u   /* {text} */")
    bits = sum(1 << t.number for t in c.types if t.fail_stop)
    out.append(f"#define FI_TYPES_FAIL_STOP {bits:#x}u")
    out.append("#define FI_TYPE_AT(mask, t) ((uint32_t)(t) < 32 && (((mask) >> (t)) & 1u))")
    out.append("")
    for name, n, cname in c.triggers:
        out.append(f"#define {cname} {n}   /* {name} */")
    out.append("")
    for cname, code, outcome in c.exits:
        out.append(f"#define {cname} {code:#x}   /* {outcome}: host status {((code << 1) | 1) & 0xff} */")
    out += ["", "#endif", ""]
    return "\n".join(out)


def check(c: contract.Contract) -> str:
    out = ["/* contract_check.c - GENERATED from contract/guest_host.def by contract/gen.py:",
           " * the structs the host reads must be laid out as the contract says. */",
           "#include <stddef.h>"]
    for h in sorted(set(HEADERS.values())):
        out.append(f"#include \"{h}\"")
    for s in c.structs.values():
        out.append(f'_Static_assert(sizeof(struct {s.name}) == {s.size}, '
                   f'"struct {s.name}: size differs from contract/guest_host.def");')
        for f in s.fields:
            out.append(f'_Static_assert(offsetof(struct {s.name}, {f.name}) == {f.offset} && '
                       f'sizeof(((struct {s.name} *)0)->{f.name}) == {f.size}, '
                       f'"{s.name}.{f.name}: layout differs from contract/guest_host.def");')
    out.append("")
    return "\n".join(out)


def producers(kinds) -> str:
    """ev_producers.h: per event kind (contract/events.def), who may emit
    it and its required fields. The kernel refuses a process's event of a
    kind it may not emit (os/kernel/evcheck.c); the forger test program
    tries every reserved kind with its fields. One table, read by both,
    sorted by kind as strcmp orders bytes: the kernel finds a kind in it by
    binary search."""
    out = ["/* ev_producers.h - GENERATED from contract/events.def by contract/gen.py:",
           " * do not edit; change the .def. producers: comma-separated process",
           " * names, \"sys\" (a process with its own privilege) or \"*\" (any). */",
           "#ifndef OS_EV_PRODUCERS_H", "#define OS_EV_PRODUCERS_H", "",
           "struct ev_rule { const char *kind, *producers, *fields; };",
           "static const struct ev_rule ev_rules[] = {"]
    for k in sorted(kinds.values(), key=lambda k: k.name.encode()):
        out.append(f'    {{ "{k.name}", "{",".join(k.producers)}", "{" ".join(sorted(k.required))}" }},')
    out += ["};", f"#define EV_NR_RULES {len(kinds)}", "", "#endif", ""]
    return "\n".join(out)


def main(argv):
    outdir = Path(argv[1])
    outdir.mkdir(parents=True, exist_ok=True)
    c = contract.load()
    for name, text in (("contract.h", header(c)), ("contract_check.c", check(c)),
                       ("ev_producers.h", producers(events.load()))):
        p = outdir / name
        if not p.exists() or p.read_text() != text:
            p.write_text(text)
        else:
            p.touch()          # up to date for make, whose inputs were newer
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
