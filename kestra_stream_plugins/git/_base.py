"""What every git task shares: the repository URL, the authentication properties, ``gitConfig``."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kestra_stream.plugins.base import RunnableTask, dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.plugins.core._values import as_map, as_text
from kestra_stream.runtime.errors import TaskFailure
from kestra_stream_plugins.git._git import Git, GitAuth, git_session


class GitTask(RunnableTask):
    url: str | None = dynamic(None)
    username: str | None = dynamic(None)
    password: str | None = dynamic(None)
    private_key: str | None = dynamic(None)
    passphrase: str | None = dynamic(None)
    git_config: dict[str, Any] | None = dynamic(None)
    clone_submodules: bool | None = None

    def text(self, ctx: RunContext, value: Any) -> str | None:
        rendered = ctx.render(value)
        return None if rendered is None else as_text(rendered)

    def flag(self, ctx: RunContext, value: Any, default: bool) -> bool:
        rendered = ctx.render(value)
        if rendered is None:
            return default
        return rendered if isinstance(rendered, bool) else str(rendered).strip().lower() == "true"

    def checkout_dir(self, ctx: RunContext) -> Path:
        """A fresh directory per run: tasks sharing a WorkingDirectory must not see each other's clone."""
        return Path(tempfile.mkdtemp(prefix="repository-", dir=ctx.working_dir))

    def repository_url(self, ctx: RunContext) -> str:
        url = self.text(ctx, self.url)
        if not url:
            raise TaskFailure(f"{self.plugin_type}: `url` is required")
        return url

    def config_args(self, ctx: RunContext) -> list[str]:
        args: list[str] = []
        for key, value in as_map(ctx.render(self.git_config), "gitConfig").items():
            args += ["-c", f"{key}={as_text(value)}"]
        return args

    @contextmanager
    def git(self, ctx: RunContext) -> Iterator[Git]:
        auth = GitAuth(
            username=self.text(ctx, self.username),
            password=self.text(ctx, self.password),
            private_key=self.text(ctx, self.private_key),
            passphrase=self.text(ctx, self.passphrase),
        )
        scratch = Path(tempfile.mkdtemp(prefix="ks-git-"))
        try:
            with git_session(auth, scratch) as git:
                yield git
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def clone(
        self, ctx: RunContext, git: Git, target: Path, *, branch: str | None, depth: int | None = 1
    ) -> bool:
        """Clone ``url`` into ``target`` (which may hold files already); False when ``branch`` is not
        on the remote yet (``target`` then holds an empty repository with ``origin`` set)."""
        url = self.repository_url(ctx)
        staging = Path(tempfile.mkdtemp(prefix="ks-clone-", dir=target.parent))
        try:
            args = [*self.config_args(ctx), "clone", "--quiet"]
            if depth:
                args += ["--depth", str(depth)]
            if self.clone_submodules:
                args.append("--recurse-submodules")
            found = True
            if branch:
                heads = git.run(
                    ["ls-remote", "--heads", url, branch], cwd=target.parent, what="git ls-remote"
                )
                found = bool(heads.strip())
            if found:
                git.run(
                    [*args, *(["--branch", branch] if branch else []), url, str(staging)], cwd=target.parent
                )
            else:
                git.run(["init", "--quiet", "-b", branch or "main", str(staging)], cwd=target.parent)
                git.run(["remote", "add", "origin", url], cwd=staging)
            target.mkdir(parents=True, exist_ok=True)
            for entry in staging.iterdir():
                shutil.move(str(entry), target / entry.name)
            return found
        finally:
            shutil.rmtree(staging, ignore_errors=True)
