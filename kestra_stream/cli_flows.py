"""``flow namespace update NAMESPACE DIR`` and ``flow updates DIR``: deploy a directory of flows
through a running server's API, with Kestra's options (``--server``, ``--user user:pass``,
``--delete``/``--no-delete``)."""

from __future__ import annotations

import base64
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import click
import orjson

DEFAULT_SERVER = "http://localhost:8080"


def _sources(directory: Path) -> list[str]:
    files = (
        sorted([*directory.rglob("*.yml"), *directory.rglob("*.yaml")]) if directory.is_dir() else [directory]
    )
    return [file.read_text().strip("\n") for file in files]


def post_flows(server: str, path: str, params: dict[str, str], sources: list[str], user: str | None) -> Any:
    url = server.rstrip("/") + path + "?" + urllib.parse.urlencode(params)
    request = urllib.request.Request(
        url,
        data="\n---\n".join(sources).encode(),
        method="POST",
        headers={"Content-Type": "application/x-yaml"},
    )
    if user:
        request.add_header("Authorization", "Basic " + base64.b64encode(user.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return orjson.loads(response.read() or b"[]")
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            message = orjson.loads(body).get("message", body.decode())
        except (orjson.JSONDecodeError, AttributeError):
            message = body.decode(errors="replace")
        raise click.ClickException(f"{error.code}: {message}") from None
    except urllib.error.URLError as error:
        raise click.ClickException(f"cannot reach {server}: {error.reason}") from None


def _report(saved: list[dict[str, Any]]) -> None:
    click.echo(f"{len(saved)} flow(s) successfully updated!")
    for flow in saved:
        click.echo(f"- {flow.get('namespace')}.{flow.get('id')} (revision {flow.get('revision')})")


SERVER = click.option("--server", default=DEFAULT_SERVER, show_default=True, help="Kestra server URL.")
USER = click.option("--user", default=None, help="Basic auth user:password.")


def register_flow_deploy_commands(flow: click.Group) -> None:
    @flow.group(name="namespace")
    def namespace() -> None:
        """Flows of one namespace."""

    @namespace.command(name="update")
    @click.argument("namespace_id", metavar="NAMESPACE")
    @click.argument("directory", type=click.Path(path_type=Path, exists=True))
    @click.option(
        "--delete/--no-delete",
        default=True,
        show_default=True,
        help="Delete the namespace's flows that are not in DIRECTORY.",
    )
    @click.option("--override-namespaces", is_flag=True, help="Replace each flow's namespace by NAMESPACE.")
    @SERVER
    @USER
    def namespace_update(
        namespace_id: str,
        directory: Path,
        delete: bool,
        override_namespaces: bool,
        server: str,
        user: str | None,
    ) -> None:
        """Replace every flow of NAMESPACE by the flows of DIRECTORY."""
        sources = _sources(directory)
        if override_namespaces:
            sources = [_with_namespace(source, namespace_id) for source in sources]
        saved = post_flows(
            server,
            f"/api/v1/main/flows/{urllib.parse.quote(namespace_id)}",
            {"delete": str(delete).lower()},
            sources,
            user,
        )
        _report(saved)

    @flow.command(name="updates")
    @click.argument("directory", type=click.Path(path_type=Path, exists=True))
    @click.option("--delete", is_flag=True, help="Delete the flows of --namespace that are not in DIRECTORY.")
    @click.option(
        "--namespace", "namespace_id", default=None, help="Only flows of this namespace (and children)."
    )
    @SERVER
    @USER
    def updates(
        directory: Path, delete: bool, namespace_id: str | None, server: str, user: str | None
    ) -> None:
        """Create or update every flow of DIRECTORY."""
        params = {"delete": str(delete).lower()}
        if namespace_id:
            params |= {"namespace": namespace_id, "allowNamespaceChild": "true"}
        _report(post_flows(server, "/api/v1/main/flows/bulk", params, _sources(directory), user))


def _with_namespace(source: str, namespace: str) -> str:
    lines = source.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("namespace:"):
            lines[index] = f"namespace: {namespace}"
            break
    return "\n".join(lines)
