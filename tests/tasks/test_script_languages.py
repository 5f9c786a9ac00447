"""Script and Commands of every language of kestra_stream_plugins.scripts, each really run by its
interpreter (installed by .ci/run); Julia and PowerShell, which Debian does not package, fail with a
message naming the missing interpreter."""

from __future__ import annotations

import pytest

from kestra_stream.plugins import registry
from kestra_stream.runtime import CollectingSink, TaskFailure, TaskRunContext, run_task
from kestra_stream.storage import read_bytes
from kestra_stream_plugins.scripts import LANGUAGES

from .test_basic_tasks import task

PROCESS = {"type": "io.kestra.plugin.core.runner.Process"}

# Each program reads data.txt, writes its upper-cased first line to out.txt and sends outputs.
PROGRAMS: dict[str, str] = {
    "r": (
        'word <- toupper(readLines("data.txt", warn = FALSE)[1])\n'
        'writeLines(word, "out.txt")\n'
        'cat(sprintf(\'::{"outputs":{"n":%d,"word":"%s"}}::\\n\', 6L * 7L, word))\n'
    ),
    "ruby": (
        'word = File.read("data.txt").strip.upcase\n'
        'File.write("out.txt", word + "\\n")\n'
        'puts "::{\\"outputs\\":{\\"n\\":#{6 * 7},\\"word\\":\\"#{word}\\"}}::"\n'
    ),
    "go": (
        "package main\n\n"
        'import (\n\t"fmt"\n\t"os"\n\t"strings"\n)\n\n'
        "func main() {\n"
        '\tdata, _ := os.ReadFile("data.txt")\n'
        "\tword := strings.ToUpper(strings.TrimSpace(string(data)))\n"
        '\tos.WriteFile("out.txt", []byte(word+"\\n"), 0o644)\n'
        '\tfmt.Printf("::{\\"outputs\\":{\\"n\\":%d,\\"word\\":\\"%s\\"}}::\\n", 6*7, word)\n'
        "}\n"
    ),
    "perl": (
        'open(my $in, "<", "data.txt") or die; my $word = uc(<$in>); chomp $word; close $in;\n'
        'open(my $out, ">", "out.txt") or die; print $out "$word\\n"; close $out;\n'
        'printf("::{\\"outputs\\":{\\"n\\":%d,\\"word\\":\\"%s\\"}}::\\n", 6 * 7, $word);\n'
    ),
    "php": (
        "<?php\n"
        '$word = strtoupper(trim(file_get_contents("data.txt")));\n'
        'file_put_contents("out.txt", $word . "\\n");\n'
        'echo "::" . json_encode(["outputs" => ["n" => 6 * 7, "word" => $word]]) . "::\\n";\n'
    ),
    "lua": (
        'local f = io.open("data.txt"); local word = f:read("l"):upper(); f:close()\n'
        'local o = io.open("out.txt", "w"); o:write(word, "\\n"); o:close()\n'
        'print(string.format(\'::{"outputs":{"n":%d,"word":"%s"}}::\', 6 * 7, word))\n'
    ),
    "bun": (
        'import { readFileSync, writeFileSync } from "node:fs";\n'
        'const word: string = readFileSync("data.txt", "utf8").trim().toUpperCase();\n'
        'writeFileSync("out.txt", word + "\\n");\n'
        'console.log("::" + JSON.stringify({ outputs: { n: 6 * 7, word } }) + "::");\n'
    ),
}
# `deno run` grants no file access (as in Kestra): the inline script only computes.
DENO_SCRIPT = 'const word: string = "kestra".toUpperCase();\n' + PROGRAMS["bun"].split("\n", 3)[3]
COMMANDS = {
    "r": "Rscript main.R",
    "ruby": "ruby main.rb",
    "go": "go run main.go",
    "perl": "perl main.pl",
    "php": "php main.php",
    "lua": "lua main.lua",
    "bun": "bun run main.ts",
    "deno": "deno run --allow-read --allow-write main.ts",
}
SUFFIXES = {language.package: language.suffix for language in LANGUAGES}
INSTALLED = sorted(COMMANDS)
NOT_PACKAGED = {"julia": "julia", "powershell": "pwsh"}


def test_every_language_registers_script_and_commands_through_the_entry_point() -> None:
    for language in LANGUAGES:
        for kind in ("Script", "Commands"):
            cls = registry.resolve(f"io.kestra.plugin.scripts.{language.package}.{kind}")
            assert cls.__module__ == f"kestra_stream_plugins.scripts.{language.package}"
            assert cls.__doc__ and language.title in cls.__doc__
    assert {language.package for language in LANGUAGES} == set(INSTALLED) | set(NOT_PACKAGED)


@pytest.mark.parametrize("package", INSTALLED)
def test_script_runs_with_before_commands_input_and_output_files(
    package: str, ctx: TaskRunContext, sink: CollectingSink
) -> None:
    script = task(
        {
            "type": f"io.kestra.plugin.scripts.{package}.Script",
            "taskRunner": PROCESS,
            "beforeCommands": ["echo preparing {{ flow.id }}"],
            "inputFiles": {"data.txt": "kestra\n"},
            "outputFiles": ["out.txt"],
            "script": DENO_SCRIPT if package == "deno" else PROGRAMS[package],
        }
    )
    outputs = run_task(script, ctx)
    assert outputs["exitCode"] == 0
    assert outputs["vars"] == {"n": 42, "word": "KESTRA"}
    assert sink.messages("INFO")[0] == "preparing flow"
    if package != "deno":
        assert read_bytes(ctx.storage, outputs["outputFiles"]["out.txt"]) == b"KESTRA\n"


@pytest.mark.parametrize("package", INSTALLED)
def test_commands_run_a_program_from_input_files(package: str, ctx: TaskRunContext) -> None:
    program = PROGRAMS["bun" if package == "deno" else package]
    commands = task(
        {
            "type": f"io.kestra.plugin.scripts.{package}.Commands",
            "taskRunner": PROCESS,
            "inputFiles": {f"main{SUFFIXES[package]}": program, "data.txt": "kestra"},
            "outputFiles": ["out.txt"],
            "commands": [COMMANDS[package]],
        }
    )
    outputs = run_task(commands, ctx)
    assert outputs["vars"] == {"n": 42, "word": "KESTRA"}
    assert read_bytes(ctx.storage, outputs["outputFiles"]["out.txt"]) == b"KESTRA\n"


def test_a_failing_script_fails_the_task_with_its_exit_code(
    ctx: TaskRunContext, sink: CollectingSink
) -> None:
    script = task({"type": "io.kestra.plugin.scripts.ruby.Script", "script": 'warn "bad input"\nexit 4\n'})
    with pytest.raises(TaskFailure, match="exit code 4") as failure:
        run_task(script, ctx)
    assert failure.value.outputs["exitCode"] == 4
    assert sink.messages("ERROR") == ["bad input"]


@pytest.mark.parametrize(("package", "executable"), sorted(NOT_PACKAGED.items()))
@pytest.mark.parametrize("kind", ["Script", "Commands"])
def test_a_missing_interpreter_fails_with_a_message_naming_it(
    package: str, executable: str, kind: str, ctx: TaskRunContext, sink: CollectingSink
) -> None:
    body = {"script": "1"} if kind == "Script" else {"commands": [f"{executable} main"]}
    missing = task(
        {
            "type": f"io.kestra.plugin.scripts.{package}.{kind}",
            # PATH without the interpreter, whatever this machine has installed.
            "env": {"PATH": "/usr/bin:/bin"},
            **body,
        }
    )
    with pytest.raises(TaskFailure) as failure:
        run_task(missing, ctx)
    message = str(failure.value)
    assert f"`{executable}`" in message and "not installed on this worker" in message, message
    assert "Traceback" not in message
