"""Tests for faultinj.qemu: command line, outcomes, cleanup, and GDB on a
real QEMU running a tiny kernel built by the test (not the project's)."""

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from faultinj import exitcodes, qemu as qemu_mod
from faultinj.elfsyms import ElfImage
from faultinj.gdbstub import GdbClient, GdbConnectionError
from faultinj.qemu import Qemu, QemuError, run
from faultinj.tests import tinykernel

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

needs_qemu = pytest.mark.skipif(tinykernel.tools_missing() is not None,
                                reason=f"missing {tinykernel.tools_missing()}")


def _gone(pid, within=5.0):
    """True once pid no longer exists (reaped or a zombie of someone else)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(") ", 1)[1].startswith("Z"):
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.02)
    return False


# -- command line (no QEMU launched) ---------------------------------------

def test_command_defaults():
    q = Qemu("/k.elf", ["/m1 a b", "/m2"], append="x=1 y")
    cmd = q.command()
    assert cmd[0] == "qemu-system-i386"
    assert cmd[1:5] == ["-nodefaults", "-no-reboot", "-display", "none"]
    assert ["-machine", "pc,acpi=off"] == cmd[5:7] and ["-m", "128"] == cmd[7:9]
    assert cmd[cmd.index("-kernel") + 1] == "/k.elf"
    assert cmd[cmd.index("-append") + 1] == "x=1 y"
    assert cmd[cmd.index("-initrd") + 1] == "/m1 a b,/m2"
    assert "isa-debug-exit,iobase=0xf4,iosize=0x04" in cmd
    assert "stdio,id=ser0,signal=off" in cmd and "chardev:ser0" in cmd
    assert cmd[cmd.index("-rtc") + 1] == "base=2000-01-01,clock=vm"
    assert cmd[cmd.index("-icount") + 1] == "shift=0,sleep=off"
    assert cmd[cmd.index("-accel") + 1] == "tcg"
    assert "-S" not in cmd and "-gdb" not in cmd
    assert "ib700" not in cmd        # the watchdog's stop is the harness's to read
    if os.path.exists(qemu_mod.QBOOT_ROM):
        assert cmd[cmd.index("-bios") + 1] == qemu_mod.QBOOT_ROM
    assert q.gdb_socket is None
    q.close()


def test_command_options(monkeypatch):
    monkeypatch.setattr(qemu_mod, "QBOOT_ROM", "/nonexistent/qboot.rom")
    q = Qemu("/k", [], memory_mb=64, icount=False, kvm=True, gdb=True,
             extra_args=["-smp", "1"])
    r = Qemu("/k", [], gdb=True)
    try:
        cmd = q.command()
        assert "-bios" not in cmd and "-initrd" not in cmd and "-icount" not in cmd
        assert cmd[cmd.index("-m") + 1] == "64"
        assert cmd[cmd.index("-accel") + 1] == "kvm"
        assert cmd[cmd.index("-cpu") + 1] == "host"
        assert "-S" in cmd and cmd[cmd.index("-gdb") + 1] == "chardev:gdb0"
        # the machine's own watchdog (os/kernel/deadman.c), stopping it for the stub
        assert cmd[cmd.index("ib700") - 1] == "-device"
        assert cmd[cmd.index("-action") + 1] == "watchdog=pause"
        assert (f"socket,id=gdb0,path={q.gdb_socket},server=on,wait=off"
                in cmd)
        assert cmd[-2:] == ["-smp", "1"]
        # One private socket per instance: parallel runs never collide.
        assert q.gdb_socket != r.gdb_socket
        assert os.path.isdir(os.path.dirname(q.gdb_socket))
        assert len(q.gdb_socket) < 100
    finally:
        tmp = os.path.dirname(q.gdb_socket)
        q.close()
        r.close()
    assert not os.path.exists(tmp)


def test_comma_in_module_rejected():
    with pytest.raises(ValueError, match=r"/m1 a,b"):
        Qemu("/k", ["/m0", "/m1 a,b"])


def test_kvm_checked_only_when_asked(monkeypatch):
    monkeypatch.setattr(qemu_mod, "kvm_usable", lambda: False)
    q = Qemu("/k", [], kvm=True)
    with pytest.raises(QemuError, match="kvm"):
        q.start()
    q.close()


def test_exit_codes():
    assert exitcodes.HOST_HALT == 33
    assert exitcodes.HOST_PANIC == 35
    assert exitcodes.HOST_TEST_FAIL == 37
    assert exitcodes.outcome_for(33) == "halt"
    assert exitcodes.outcome_for(0) == "reset"
    assert exitcodes.outcome_for(1) == "error"
    assert exitcodes.outcome_for(-9, timed_out=True) == "timeout"


def test_guest_fatal():
    """QEMU ending on the guest's doing: TCG's fatal state, or a device
    model's assertion; not QEMU's other failures."""
    assert qemu_mod.guest_fatal("qemu: fatal: Trying to execute code outside RAM or ROM at 0x0")
    assert qemu_mod.guest_fatal("qemu-system-i386: ../../hw/char/serial.c:337: "
                                "serial_ioport_write: Assertion `size == 1 && addr < 8' failed.\n")
    assert not qemu_mod.guest_fatal("qemu-system-i386: -kernel /k: cannot open: No such file\n")
    assert not qemu_mod.guest_fatal("qemu-system-i386: ../../gdbstub/gdbstub.c:12: "
                                    "gdb_x: Assertion `x' failed.\n")


# -- real QEMU ---------------------------------------------------------------

@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    if tinykernel.tools_missing():
        pytest.skip(f"missing {tinykernel.tools_missing()}")
    return tinykernel.build(str(tmp_path_factory.mktemp("tinykernel")))


@pytest.fixture
def modules(tmp_path):
    (tmp_path / "m1").write_bytes(b"one")
    (tmp_path / "m2").write_bytes(b"two")
    return [f"{tmp_path}/m1 arg1 arg2", f"{tmp_path}/m2"]


@needs_qemu
@pytest.mark.parametrize("mode,status,outcome", [
    ("h", 33, "halt"), ("p", 35, "panic"), ("f", 37, "test_fail"), ("r", 0, "reset"),
])
def test_outcomes(kernel, modules, mode, status, outcome):
    r = run(kernel, modules, append=f"@{mode}", timeout=20)
    assert (r.exit_status, r.outcome, r.timed_out) == (status, outcome, False)
    boot = r.events[0]
    assert boot.kind == "tiny_boot" and boot.t == 0
    assert boot.get("cmd").endswith(f"@{mode}")
    assert boot.int("mods") == 2
    assert r.serial.startswith("\x1e#EV t=0 ev=tiny_boot")
    assert r.host_seconds < 20


@needs_qemu
def test_timeout_kills(kernel):
    with Qemu(kernel, [], append="@w", timeout=0.5) as q:
        q.serial.wait_kind("hanging", 10)
        r = q.wait()
        assert r.outcome == "timeout" and r.timed_out
        assert 0.4 < r.host_seconds < 5
        assert _gone(q.pid)
    # An explicit shorter wait also ends in a timeout.
    with Qemu(kernel, [], append="@w", timeout=60) as q:
        r = q.wait(timeout=0.3)
        assert r.outcome == "timeout" and r.host_seconds < 5


@needs_qemu
def test_console_pipe_is_widened(kernel):
    """The console's pipe holds as much as the host allows (up to 1 MiB,
    not 64 KiB): a full one makes the guest poll its UART in virtual time
    until the reader runs (qemu._widen_pipe)."""
    import fcntl
    with open("/proc/sys/fs/pipe-max-size") as f:
        want = min(int(f.read()), 1 << 20)
    with Qemu(kernel, [], append="@w", timeout=30) as q:
        assert fcntl.fcntl(q.proc.stdout.fileno(), getattr(fcntl, "F_GETPIPE_SZ", 1032)) >= want
        q.kill()


@needs_qemu
def test_close_kills_frozen_qemu(kernel):
    q = Qemu(kernel, [], gdb=True, timeout=60)
    q.start()
    sock = q.gdb_socket
    deadline = time.monotonic() + 10
    while not os.path.exists(sock) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert os.path.exists(sock) and q.alive()
    pid, tmp = q.pid, q.tmpdir
    q.close()
    q.close()   # idempotent
    assert _gone(pid)
    assert not os.path.exists(tmp)
    assert q not in qemu_mod._live
    assert q.result.outcome == "killed"


@needs_qemu
def test_kill_then_wait(kernel):
    with Qemu(kernel, [], append="@w", timeout=60) as q:
        q.serial.wait_kind("hanging", 10)
        q.kill()
        r = q.wait()
        assert r.outcome == "killed" and not r.timed_out
        assert r.exit_status == -9
        assert _gone(q.pid)


@needs_qemu
def test_bad_kernel_is_error(tmp_path):
    bogus = tmp_path / "not-a-kernel"
    bogus.write_bytes(b"\0" * 64)
    r = run(str(bogus), [], timeout=20)
    assert r.outcome == "error" and r.exit_status not in (None, 0)
    assert r.stderr.strip()


def test_command_line_is_shell_quoted():
    q = Qemu("/k", ["/m a"], append="x y")
    line = q.command_line()
    assert "-append 'x y'" in line and "-initrd '/m a'" in line


@needs_qemu
def test_write_serial_input(kernel):
    with Qemu(kernel, [], append="@e", timeout=20) as q:
        q.serial.wait_kind("echo_ready", 10)
        q.write("Q")
        assert q.serial.wait_kind("got", 10).get("c") == "Q"
        assert q.wait().outcome == "halt"


@needs_qemu
def test_gdb_breakpoint_memory_and_exit(kernel):
    img = ElfImage(kernel)
    flag, reached = img.address("flag"), img.address("reached")
    with Qemu(kernel, [], append="@g", gdb=True, timeout=30) as q:
        g = GdbClient(q.gdb_socket, timeout=10).connect()
        assert g.halt_reason().startswith(("S", "T"))
        g.set_breakpoint(reached)
        g.cont()
        q.serial.wait_kind("waiting", 10)
        assert g.interrupt().startswith("T")
        g.write_u32(flag, exitcodes.GUEST_PANIC)
        assert g.read_u32(flag) == exitcodes.GUEST_PANIC
        # 5000 bytes: several 'm' packets; guest memory matches the ELF.
        mem = g.read_memory(0x100000, 5000)
        assert len(mem) == 5000
        assert mem[:0x100] == img.read_bytes(0x100000, 0x100)
        g.cont()
        g.wait_stop(10)
        regs = g.read_registers()
        assert regs["eip"] == reached and regs["eax"] == exitcodes.GUEST_PANIC
        g.remove_breakpoint(reached)
        g.cont()
        r = q.wait(10)
        assert r.outcome == "panic"
        # QEMU is gone: the client fails cleanly instead of hanging.
        with pytest.raises(GdbConnectionError):
            g.halt_reason()
        g.close()


_CHILD = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {repo!r})
    from faultinj.qemu import Qemu
    q = Qemu({kernel!r}, [], gdb=True, timeout=600).start()
    print(q.pid, q.tmpdir, flush=True)
    if sys.argv[1] == "exit":
        sys.exit(0)        # never closed: atexit must clean up
    q.wait()               # SIGTERM arrives inside Popen.wait()
""")


@needs_qemu
@pytest.mark.parametrize("how", ["exit", "sigterm", "sigkill"])
def test_no_qemu_left_behind(kernel, how):
    tmp = None
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD.format(repo=REPO, kernel=kernel), how],
        stdout=subprocess.PIPE, text=True)
    try:
        pid, tmp = child.stdout.readline().split()
        pid = int(pid)
        if how == "sigterm":
            child.send_signal(signal.SIGTERM)
        elif how == "sigkill":
            child.kill()
        t0 = time.monotonic()
        rc = child.wait(timeout=20)
        assert time.monotonic() - t0 < 5
        if how == "sigterm":
            assert rc == -signal.SIGTERM
        assert _gone(pid)
        if how != "sigkill":
            assert not os.path.exists(tmp)
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
        # A SIGKILLed parent cannot remove its temp dir; do it for it.
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def test_stale_tmpdirs_of_dead_owners_are_removed(tmp_path):
    import subprocess
    from faultinj import qemu as qmod
    dead = subprocess.Popen(["true"])
    dead.wait()
    gone = tmp_path / "faultinj-qemu-dead"
    gone.mkdir()
    (gone / "owner.pid").write_text(str(dead.pid))
    alive = tmp_path / "faultinj-qemu-alive"
    alive.mkdir()
    (alive / "owner.pid").write_text(str(os.getpid()))
    other = tmp_path / "unrelated"
    other.mkdir()
    assert str(gone) in qmod.clean_stale_tmpdirs(str(tmp_path))
    assert not gone.exists() and alive.exists() and other.exists()
