"""Script tasks (shell, Python, Node.js) and task runners; importing registers them."""

from kestra_stream.plugins.scripts import node, python, runners, shell
from kestra_stream.plugins.scripts._base import CommandsTask, InlineScriptTask, ScriptTask
from kestra_stream.plugins.scripts._files import NamespaceFiles
from kestra_stream.plugins.scripts._protocol import ScriptOutputCollector

__all__ = [
    "CommandsTask",
    "InlineScriptTask",
    "NamespaceFiles",
    "ScriptOutputCollector",
    "ScriptTask",
    "node",
    "python",
    "runners",
    "shell",
]
