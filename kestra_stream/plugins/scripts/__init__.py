"""Script tasks (shell, Python, Node.js) on the Process task runner; importing registers them."""

from kestra_stream.plugins.scripts import node, python, shell
from kestra_stream.plugins.scripts._base import PROCESS_RUNNERS, CommandsTask, InlineScriptTask, ScriptTask
from kestra_stream.plugins.scripts._files import NamespaceFiles
from kestra_stream.plugins.scripts._protocol import ScriptOutputCollector

__all__ = [
    "PROCESS_RUNNERS",
    "CommandsTask",
    "InlineScriptTask",
    "NamespaceFiles",
    "ScriptOutputCollector",
    "ScriptTask",
    "node",
    "python",
    "shell",
]
