"""A real OpenSSH server for the git tests' SSH authentication: ``sshd`` on a free port with its own
host key and one authorized key (passphrase-protected), serving the bare repositories of a
:class:`GitServer` root as ``ssh://user@127.0.0.1:port/<root>/<name>.git``."""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from .server_local import free_port

PASSPHRASE = "c0rrect-h0rse"


@dataclass
class SshServer:
    port: int
    user: str
    private_key: str

    def url(self, bare: Path) -> str:
        return f"ssh://{self.user}@127.0.0.1:{self.port}{bare}"


@contextmanager
def ssh_server(root: Path) -> Iterator[SshServer]:
    sshd = shutil.which("sshd") or "/usr/sbin/sshd"
    if not Path(sshd).exists():
        pytest.fail(
            "sshd is not installed (Debian package openssh-server, installed by .ci/run)", pytrace=False
        )
    root.mkdir(parents=True, exist_ok=True)
    for name, passphrase in (("host_key", ""), ("user_key", PASSPHRASE)):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-f", str(root / name)], check=True
        )
    (root / "authorized_keys").write_text((root / "user_key.pub").read_text())
    port = free_port()
    config = root / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {root / 'host_key'}\n"
        f"AuthorizedKeysFile {root / 'authorized_keys'}\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\n"
        f"PidFile {root / 'sshd.pid'}\n"
    )
    Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # its privilege separation directory
    log = root / "sshd.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sshd, "-D", "-e", "-f", str(config)], stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"sshd did not start:\n{log.read_text()}", pytrace=False)
                time.sleep(0.1)
        yield SshServer(port=port, user=getpass.getuser(), private_key=(root / "user_key").read_text())
    finally:
        process.terminate()
        process.wait(10)
