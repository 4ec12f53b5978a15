"""A throwaway OpenSSH server on 127.0.0.1, for tests that need a real
remote machine (tests/test_campaign_ssh.py).

Debian's /usr/sbin/sshd runs as a child process (-D: no daemon) on a free
port, with its host key, the user key, authorized_keys, config, pid file
and log in a temp dir. The client finds them through an ssh_config of its
own in that dir (ssh -F, execnet's ssh_config= spec option), so nothing in
/etc/ssh or ~/.ssh is read or written. sshd run by root wants its
privilege separation directory /run/sshd, which exists only where a
system sshd has run: there, sshd gets a private mount namespace whose /run
is a small tmpfs holding it, so nothing outside changes either.
"""

import os
import pwd
import signal
import socket
import subprocess
import time
from pathlib import Path

SSHD = "/usr/sbin/sshd"
ALIAS = "campaign-remote"        # the host name the client config defines


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class Sshd:
    def __init__(self, tmp: Path):
        self.dir = Path(tmp)
        self.user = pwd.getpwuid(os.geteuid()).pw_name
        self.config = self.dir / "ssh_config"          # for the client: ssh -F
        self.log = self.dir / "sshd.log"
        self.proc = None
        self.port = None

    def _keys(self) -> None:
        for name in ("host_key", "user_key"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name,
                            "-f", str(self.dir / name)], check=True)
        (self.dir / "authorized_keys").write_text((self.dir / "user_key.pub").read_text())
        kind, key = (self.dir / "host_key.pub").read_text().split()[:2]
        (self.dir / "known_hosts").write_text(f"{ALIAS} {kind} {key}\n")

    def _write_configs(self) -> None:
        d = self.dir
        (d / "sshd_config").write_text(
            f"ListenAddress 127.0.0.1\nPort {self.port}\nHostKey {d}/host_key\n"
            f"AuthorizedKeysFile {d}/authorized_keys\nStrictModes no\nPidFile {d}/sshd.pid\n"
            "UsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
            f"PubkeyAuthentication yes\nPermitRootLogin prohibit-password\nAllowUsers {self.user}\n")
        self.config.write_text(
            f"Host {ALIAS}\n  HostName 127.0.0.1\n  Port {self.port}\n  User {self.user}\n"
            f"  IdentityFile {d}/user_key\n  IdentitiesOnly yes\n  HostKeyAlias {ALIAS}\n"
            f"  UserKnownHostsFile {d}/known_hosts\n  GlobalKnownHostsFile /dev/null\n"
            "  StrictHostKeyChecking yes\n  BatchMode yes\n  LogLevel ERROR\n")

    def _command(self):
        sshd = [SSHD, "-D", "-e", "-f", str(self.dir / "sshd_config")]
        if os.geteuid() != 0 or os.path.isdir("/run/sshd"):
            return sshd
        script = ('mount -t tmpfs -o size=1m,mode=755 sshd-run /run && mkdir -m 755 /run/sshd'
                  ' && exec "$@"')
        return ["unshare", "--mount", "sh", "-c", script, "sh", *sshd]

    def start(self, tries: int = 3) -> "Sshd":
        self._keys()
        for _ in range(tries):          # the free port may be taken before sshd binds it
            self.port = _free_port()
            self._write_configs()
            with open(self.log, "ab") as log:
                self.proc = subprocess.Popen(self._command(), stdout=log, stderr=log,
                                             stdin=subprocess.DEVNULL, start_new_session=True)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and self.proc.poll() is None:
                if _listening(self.port):
                    return self
                time.sleep(0.05)
            self.stop()
        raise RuntimeError(f"sshd did not start:\n{self.log.read_text()}")

    def ssh(self, *command: str, **kw) -> subprocess.CompletedProcess:
        return subprocess.run(["ssh", "-F", str(self.config), ALIAS, *command],
                              capture_output=True, text=True, timeout=60, **kw)

    def stop(self) -> None:
        # sshd and the connection processes it forked share its process group
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
