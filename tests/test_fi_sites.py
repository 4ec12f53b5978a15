"""Fault sites: listed from the ELF files alone, one per hook in the source;
absent, with no trace in the code, when built with FAULTINJ=0."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from faultinj import bootimage
from faultinj.elfsyms import ElfImage

# FI_ERROR_FOR("site", p): the kernel's FI_ERROR armed for a given process
HOOK = re.compile(r'\bFI_(POINT|ERROR|ERROR_FOR)\("([^"]+)"[,)]')


def source_hooks():
    hooks = set()
    for path in (bootimage.ROOT / "os").rglob("*.c"):
        for i, line in enumerate(path.read_text().splitlines(), 1):
            for m in HOOK.finditer(line):
                hooks.add((str(path.relative_to(bootimage.ROOT)), i, m.group(2)))
    return hooks


def test_sites_cli_lists_every_hook(os_built):
    out = subprocess.run([sys.executable, "-m", "faultinj", "sites", "--json", "--kind", "hand"],
                         cwd=bootimage.ROOT, capture_output=True, text=True, check=True)
    sites = json.loads(out.stdout)
    listed = {(s["file"], s["line"], s["site"]) for s in sites}
    assert listed == source_hooks()
    by_bin = {}
    for s in sites:
        by_bin.setdefault(s["binary"], set()).add(s["site"])
    assert {"kernel.ipc.send", "kernel.call"} <= by_bin["kernel"]
    assert "rs.request" in by_bin["rs"]
    assert {"sef.init", "sef.ping", "sef.pong", "sef.lu.prepare"} <= by_bin["kv"]
    assert {"kv.put", "kv.get", "kv.reply"} <= by_bin["kv"]
    for server in ("ds", "vm", "pm", "mem", "tty", "echo"):
        assert f"{server}.request" in by_bin[server] or f"{server}.echo" in by_bin[server]
    table = subprocess.run([sys.executable, "-m", "faultinj", "sites", "--kind", "hand"],
                           cwd=bootimage.ROOT, capture_output=True, text=True, check=True).stdout
    assert f"{len(sites)} sites (0 automatic) in" in table


def test_sites_cli_without_build_is_a_clear_error(tmp_path):
    r = subprocess.run([sys.executable, "-m", "faultinj", "sites", "--build", str(tmp_path)],
                       cwd=bootimage.ROOT, capture_output=True, text=True)
    assert r.returncode == 2 and "run make first" in r.stderr


@pytest.fixture(scope="module")
def nofi_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("nofi")
    r = subprocess.run(["make", "-s", "-C", str(bootimage.ROOT), f"BUILD={out}", "FAULTINJ=0",
                        "-j2"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return out


def test_faultinj_off_has_no_sites_and_no_hook_code(nofi_build):
    elfs = sorted(nofi_build.glob("*.elf"))
    assert len(elfs) >= 10
    for p in elfs:
        img = ElfImage(str(p))
        assert img.fault_sites() == [], p
        syms = img.symbols()
        assert "fi_hit_point" not in syms and "fi_hit_error" not in syms, p
        sec = subprocess.run(["readelf", "-S", str(p)], capture_output=True, text=True).stdout
        assert "fi_sites" not in sec, p
