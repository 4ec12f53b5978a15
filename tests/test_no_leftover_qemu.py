"""No QEMU outlives its test: not after a failure, not after pytest-timeout
interrupts a test in the middle of a run."""

import os
import subprocess
import sys
import textwrap
import time
import uuid

from faultinj import bootimage


def qemu_with(marker):
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        if cmd and b"qemu-system" in cmd[0] and marker.encode() in b" ".join(cmd):
            found.append(int(pid))
    return found


def test_timed_out_and_failed_tests_leave_no_qemu(tmp_path, os_built):
    marker = f"leftover-{uuid.uuid4().hex[:8]}"
    (tmp_path / "test_victim.py").write_text(textwrap.dedent(f"""
        import time, pytest
        from faultinj import bootimage
        from faultinj.qemu import Qemu

        def boot():
            q = Qemu(bootimage.kernel_path(), bootimage.modules(bootimage.system()),
                     append="{marker}", timeout=600)
            q.start()
            q.serial.wait_kind("ready", 30)
            return q

        @pytest.mark.timeout(3)
        def test_hangs_past_its_timeout():
            q = boot()
            time.sleep(60)          # pytest-timeout interrupts here

        def test_fails_with_qemu_running():
            q = boot()
            assert False, "failing on purpose"
    """))
    env = dict(os.environ, PYTHONPATH=str(bootimage.ROOT))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "-o", "addopts=", "--timeout-method=signal", str(tmp_path)],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert "2 failed" in r.stdout, r.stdout[-2000:]
    assert "Timeout" in r.stdout
    deadline = time.monotonic() + 5
    while qemu_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert qemu_with(marker) == []
