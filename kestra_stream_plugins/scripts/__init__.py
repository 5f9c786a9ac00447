"""``io.kestra.plugin.scripts.{r,ruby,go,perl,php,lua,julia,powershell,deno,bun}`` Script and Commands.

Registered through the ``kestra_stream.plugins`` entry point (``scripts = ...:register``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kestra_stream_plugins.scripts._language import Language, LanguageCommands, LanguageScript, language_tasks

if TYPE_CHECKING:
    from kestra_stream.plugins.registry import PluginRegistry

__all__ = ["LANGUAGES", "Language", "LanguageCommands", "LanguageScript", "register"]

LANGUAGES: tuple[Language, ...] = (
    Language(
        package="r",
        title="R",
        executable="Rscript",
        launcher=("Rscript",),
        suffix=".R",
        image="r-base",
        install_hint="Debian package r-base-core",
    ),
    Language(
        package="ruby",
        title="Ruby",
        executable="ruby",
        launcher=("ruby",),
        suffix=".rb",
        image="ruby",
        install_hint="Debian package ruby",
    ),
    Language(
        package="go",
        title="Go",
        executable="go",
        launcher=("go", "run"),
        suffix=".go",
        image="golang",
        install_hint="Debian package golang-go",
    ),
    Language(
        package="perl",
        title="Perl",
        executable="perl",
        launcher=("perl",),
        suffix=".pl",
        image="perl",
        install_hint="Debian package perl",
    ),
    Language(
        package="php",
        title="PHP",
        executable="php",
        launcher=("php",),
        suffix=".php",
        image="php",
        install_hint="Debian package php-cli",
    ),
    Language(
        package="lua",
        title="Lua",
        executable="lua",
        launcher=("lua",),
        suffix=".lua",
        image="nickblah/lua",
        install_hint="Debian package lua5.4",
    ),
    Language(
        package="julia",
        title="Julia",
        executable="julia",
        launcher=("julia",),
        suffix=".jl",
        image="julia",
        install_hint="Debian does not package Julia: install it on the worker's PATH",
    ),
    Language(
        package="powershell",
        title="PowerShell",
        executable="pwsh",
        launcher=("&",),
        suffix=".ps1",
        image="mcr.microsoft.com/powershell",
        interpreter=("pwsh", "-NoProfile", "-NonInteractive", "-Command"),
        install_hint="Debian does not package PowerShell: install `pwsh` on the worker's PATH",
    ),
    Language(
        package="deno",
        title="Deno",
        executable="deno",
        launcher=("deno", "run"),
        suffix=".ts",
        image="denoland/deno",
        install_hint="npm package deno",
    ),
    Language(
        package="bun",
        title="Bun",
        executable="bun",
        launcher=("bun", "run"),
        suffix=".ts",
        image="oven/bun",
        install_hint="npm package bun",
    ),
)

_TASKS = {language.package: language_tasks(language) for language in LANGUAGES}


def register(registry: PluginRegistry) -> None:
    for package, (commands, script) in _TASKS.items():
        registry.add(commands, f"io.kestra.plugin.scripts.{package}.Commands")
        registry.add(script, f"io.kestra.plugin.scripts.{package}.Script")
