"""The ``git`` command line with Kestra's authentication properties.

HTTP(S) credentials reach git through ``GIT_ASKPASS`` (a helper reading them from this process's
environment for the child only), never through the URL, so they cannot show in git's messages;
an SSH ``privateKey`` is written to a private file used by ``GIT_SSH_COMMAND`` (its passphrase through
``SSH_ASKPASS``). Every message is scrubbed of the secrets before it reaches a log or an error.
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kestra_stream.runtime.errors import TaskFailure

GIT_TIMEOUT_SECONDS = 600.0
_ASKPASS = """#!{python}
import os, sys
prompt = sys.argv[1].lower() if len(sys.argv) > 1 else ""
# "Username for 'https://host'" / "Password for 'https://user@host'" (the user name may say "username")
print(os.environ.get("KS_GIT_USERNAME" if prompt.startswith("username") else "KS_GIT_PASSWORD", ""))
"""


@dataclass(frozen=True, kw_only=True)
class GitAuth:
    username: str | None = None
    password: str | None = None
    private_key: str | None = None
    passphrase: str | None = None

    def secrets(self) -> list[str]:
        return [value for value in (self.password, self.private_key, self.passphrase) if value]


class GitError(TaskFailure):
    pass


@dataclass
class Git:
    """Runs git commands in ``cwd`` with the auth environment prepared by :func:`git_session`."""

    env: dict[str, str]
    secrets: list[str]

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "******")
        return text

    def run(self, args: Sequence[str], *, cwd: Path, what: str | None = None) -> str:
        if shutil.which("git") is None:
            raise GitError("the `git` command is not installed on this worker")
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=GIT_TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired:
            raise GitError(f"git {args[0]} did not finish in {GIT_TIMEOUT_SECONDS:.0f}s") from None
        if done.returncode != 0:
            detail = self.scrub((done.stderr or done.stdout).strip())
            raise GitError(f"{what or 'git ' + args[0]} failed: {detail}")
        return done.stdout

    def ok(self, args: Sequence[str], *, cwd: Path) -> bool:
        done = subprocess.run(["git", *args], cwd=cwd, env=self.env, capture_output=True, check=False)
        return done.returncode == 0


@contextmanager
def git_session(auth: GitAuth, scratch: Path) -> Iterator[Git]:
    """A :class:`Git` whose children authenticate with ``auth``; its helper files live in ``scratch``."""
    scratch.mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(
        {
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": str(scratch),  # no user ~/.gitconfig or credential store leaks in
        }
    )
    written: list[Path] = []
    if auth.username or auth.password:
        askpass = scratch / "askpass.py"
        askpass.write_text(_ASKPASS.format(python=sys.executable))
        askpass.chmod(stat.S_IRWXU)
        written.append(askpass)
        env.update(
            {
                "GIT_ASKPASS": str(askpass),
                "KS_GIT_USERNAME": auth.username or "",
                "KS_GIT_PASSWORD": auth.password or "",
            }
        )
    if auth.private_key:
        key = scratch / "id_key"
        key.write_text(auth.private_key.strip() + "\n")
        key.chmod(stat.S_IRUSR | stat.S_IWUSR)
        written.append(key)
        command = f"ssh -i {shlex.quote(str(key))} -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new"
        env["GIT_SSH_COMMAND"] = (
            command + f" -o UserKnownHostsFile={shlex.quote(str(scratch / 'known_hosts'))}"
        )
        if auth.passphrase:
            askpass = scratch / "ssh-askpass.py"
            askpass.write_text(f"#!{sys.executable}\nimport os\nprint(os.environ['KS_GIT_PASSPHRASE'])\n")
            askpass.chmod(stat.S_IRWXU)
            written.append(askpass)
            env.update(
                {
                    "SSH_ASKPASS": str(askpass),
                    "SSH_ASKPASS_REQUIRE": "force",
                    "KS_GIT_PASSPHRASE": auth.passphrase,
                }
            )
    try:
        yield Git(env=env, secrets=auth.secrets())
    finally:
        for path in written:
            path.unlink(missing_ok=True)
