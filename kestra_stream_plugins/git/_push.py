"""What PushFlows and PushNamespaceFiles share: write files into a checkout, report the diff, commit
once and push; a push git rejects (non-fast-forward, a hook) fails the task with git's own message."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kestra_stream.plugins.base import dynamic
from kestra_stream.plugins.context import RunContext
from kestra_stream.storage import safe_relative_path
from kestra_stream_plugins.git._base import GitTask
from kestra_stream_plugins.git._diff import store_diff
from kestra_stream_plugins.git._git import GitError


def _everything(path: str) -> bool:
    return True


class PushTask(GitTask):
    branch: str | None = dynamic("main")
    git_directory: str | None = dynamic(None)
    commit_message: str | None = dynamic(None)
    author_name: str | None = dynamic(None)
    author_email: str | None = dynamic(None)
    delete: bool | str = dynamic(True)
    dry_run: bool | str = dynamic(False)

    def default_message(self, ctx: RunContext, namespace: str) -> str:
        raise NotImplementedError

    def push(
        self,
        ctx: RunContext,
        namespace: str,
        files: Mapping[str, bytes | str],
        *,
        output: str,
        suffixes: tuple[str, ...] | None = None,
        managed: Callable[[str], bool] = _everything,
    ) -> dict[str, Any]:
        """Make ``gitDirectory`` hold ``files`` (paths relative to it) and push; the task's outputs."""
        branch = self.text(ctx, self.branch) or "main"
        git_directory = (self.text(ctx, self.git_directory) or "").strip("/")
        dry_run = self.flag(ctx, self.dry_run, False)
        delete = self.flag(ctx, self.delete, True)
        checkout = self.checkout_dir(ctx)
        rows: list[dict[str, Any]] = []
        outputs: dict[str, Any] = {}
        with self.git(ctx) as git:
            existed = self.clone(ctx, git, checkout, branch=branch)
            root = checkout / git_directory if git_directory else checkout
            wanted = {safe_relative_path(path): content for path, content in files.items()}
            for relative, content in sorted(wanted.items()):
                target = root / relative
                data = content.encode() if isinstance(content, str) else content
                state = (
                    "ADDED"
                    if not target.exists()
                    else ("UNCHANGED" if target.read_bytes() == data else "UPDATED")
                )
                if state != "UNCHANGED":
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
                rows.append({"gitPath": self._git_path(git_directory, relative), "syncState": state})
            if delete and root.is_dir():
                for path in sorted(self._tracked(root, checkout)):
                    relative = path.relative_to(root).as_posix()
                    if (
                        relative in wanted
                        or (suffixes and path.suffix not in suffixes)
                        or not managed(relative)
                    ):
                        continue
                    path.unlink()
                    rows.append({"gitPath": self._git_path(git_directory, relative), "syncState": "DELETED"})
            for row in rows:
                ctx.logger.info(f"{row['syncState']}: {row['gitPath']}")
            outputs[output] = store_diff(ctx, output, rows)
            if dry_run:
                return outputs
            git.run(["add", "-A", "."], cwd=checkout)
            if git.ok(["diff", "--cached", "--quiet"], cwd=checkout):
                ctx.logger.info("No changes to commit")
                if existed:
                    outputs["commitId"] = git.run(["rev-parse", "HEAD"], cwd=checkout).strip()
                return outputs
            message = self.text(ctx, self.commit_message) or self.default_message(ctx, namespace)
            name = self.text(ctx, self.author_name) or self.text(ctx, self.username) or "kestra"
            email = self.text(ctx, self.author_email) or "kestra@kestra.io"
            identity = ["-c", f"user.name={name}", "-c", f"user.email={email}"]
            git.run([*identity, "commit", "--quiet", "-m", message], cwd=checkout)
            commit = git.run(["rev-parse", "HEAD"], cwd=checkout).strip()
            try:
                git.run(
                    [*self.config_args(ctx), "push", "--porcelain", "origin", f"HEAD:refs/heads/{branch}"],
                    cwd=checkout,
                    what="git push",
                )
            except GitError as error:
                raise GitError(f"{error.message} (the push to branch `{branch}` was rejected)") from None
            ctx.logger.info(f"Pushed commit {commit} to branch `{branch}`")
            outputs["commitId"] = commit
            outputs["commitURL"] = f"{self.repository_url(ctx).removesuffix('.git')}/commit/{commit}"
        return outputs

    @staticmethod
    def _git_path(git_directory: str, relative: str) -> str:
        return f"{git_directory}/{relative}" if git_directory else relative

    @staticmethod
    def _tracked(root: Path, checkout: Path) -> list[Path]:
        return [
            path
            for path in root.rglob("*")
            if path.is_file() and ".git" not in path.relative_to(checkout).parts
        ]
