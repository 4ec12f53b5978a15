"""One definition per contract: contract/guest_host.def is read by the
host (faultinj/contract.py) and generated into the guest's header; a
struct that drifts from it fails the build, and the host's tables agree
with the guest's binaries."""

import shutil
import subprocess

from faultinj import arming, bootimage, contract, exitcodes
from faultinj.elfsyms import ElfImage


def test_host_tables_come_from_the_contract():
    assert arming.TYPES == contract.FAULT_TYPES and arming.TYPES[0] == "none"
    assert arming.SLOT.size == contract.size("fi_slot")
    assert arming.HEADER.size + arming.FI_SLOTS * arming.SLOT.size == contract.size("fi_table")
    assert exitcodes.HOST_HALT == 33 and exitcodes.DEBUG_EXIT_PORT == 0xF4


def test_guest_binaries_match_the_contract(os_built):
    """The kernel's fi_table symbol has the contract's size, and its fault
    type names are the contract's, in order (they are in .rodata)."""
    k = ElfImage(bootimage.kernel_path())
    addr, size = k.symbol("fi_table")
    assert size == contract.size("fi_table")
    for name in contract.FAULT_TYPES:
        assert name.encode() + b"\0" in k.read_bytes(*_rodata(k))


def _rodata(k):
    sec = next(s for s in k._sections if s.name == ".rodata")
    return sec.addr, sec.size


def test_every_fault_type_has_a_default_expectation():
    """The spec's default outcomes cover the guest's fault types exactly
    (plus lu_ok, a spec-only experiment): a new fault type in the
    contract cannot be forgotten by the campaign side."""
    from campaigns import spec
    assert set(spec.known_faults()) == set(contract.FAULT_TYPES[1:]) | {"lu_ok"}


def test_struct_drifting_from_the_contract_fails_the_build(tmp_path):
    """Copy the tree, add a field to struct fi_slot without touching the
    contract: the build stops at the generated layout check."""
    root = bootimage.ROOT
    work = tmp_path / "tree"
    shutil.copytree(root, work, ignore=shutil.ignore_patterns(
        "build*", ".git", "reports", "__pycache__", "*.pyc"))
    fi_h = work / "os/include/fi.h"
    text = fi_h.read_text()
    assert "    uint32_t from_step;" in text
    fi_h.write_text(text.replace("    uint32_t from_step;", "    uint32_t extra;\n    uint32_t from_step;", 1))
    r = subprocess.run(["make", "-j2", f"BUILD={tmp_path / 'b'}", str(tmp_path / "b" / "kernel.elf")],
                       cwd=work, capture_output=True, text=True, timeout=300)
    assert r.returncode != 0
    assert "layout differs from contract/guest_host.def" in r.stdout + r.stderr


def test_fault_type_properties_reach_the_guest_header(os_built):
    """The kinds of site each type acts at and the fail-stop column are in
    the guest's generated header as masks of type numbers (fi.c's
    error_kind uses FI_TYPES_AT_ERROR), the same sets the host reads."""
    import re
    text = (os_built / "gen" / "contract.h").read_text()
    masks = {m.group(1): int(m.group(2), 16)
             for m in re.finditer(r"#define FI_TYPES_(\w+) (0x[0-9a-f]+)u", text)}
    def names(mask):
        return {t for n, t in enumerate(contract.FAULT_TYPES) if mask >> n & 1}
    for kind in contract.SITE_KINDS:
        assert names(masks["AT_" + kind.upper()]) == set(contract.types_at(kind)), kind
    assert names(masks["FAIL_STOP"]) == contract.FAIL_STOP
    assert contract.types_at("error") == ["init_fail", "lu_timeout", "error", "drop"]


def test_host_struct_layouts_come_from_the_contract():
    """The fault table's header, a hand site's descriptor, the golden run's
    site and the kernel's debug map are read by the host through layouts
    derived from contract/guest_host.def, which the guest's build checks
    against its C structs (build/gen/contract_check.c)."""
    from campaigns import golden
    from faultinj import arming, contract, elfsyms, inspect
    assert arming.HEADER.size == contract.offset("fi_table", "slot")
    assert elfsyms.SITE_SIZE == contract.size("fi_site")
    assert elfsyms.HITS_OFFSET == contract.offset("fi_site", "hits")
    assert inspect.KDEBUG.size == contract.size("kdebug_info")
    assert golden.SITE.size == contract.size("fi_golden_site")


def test_texts_reach_the_guest_header_and_a_quote_is_refused(os_built):
    """A `text` line (the kernel's banner, which a machine saved at the
    boot hook waits for) is a string in the guest's header and in the
    kernel's image, the one the host reads; one that would break out of
    its C string is refused."""
    import pytest
    banner = contract.TEXTS["KERNEL_BANNER"]
    assert f'#define KERNEL_BANNER "{banner}"' in (os_built / "gen" / "contract.h").read_text()
    assert ("\n" + banner + "\n").encode() in ElfImage(bootimage.kernel_path()).read_bytes(
        *_rodata(ElfImage(bootimage.kernel_path())))
    with pytest.raises(contract.ContractError, match="no quote"):
        contract.parse('text BAD say "hi"\n')
