"""Flowable task models (``io.kestra.plugin.core.flow.*``) and execution-updating tasks.

Properties and validation only: the executor gives them their behaviour.
"""

from kestra_stream.plugins.flow._branches import WithHandlers
from kestra_stream.plugins.flow.branching import If, IfOutputs, Switch, SwitchOutputs
from kestra_stream.plugins.flow.dag import Dag, DagTask
from kestra_stream.plugins.flow.execution import Exit, ExitState, Kill, SetVariables, UnsetVariables
from kestra_stream.plugins.flow.groups import AllowFailure, Parallel, Sequential
from kestra_stream.plugins.flow.loops import (
    CheckFrequency,
    EachParallel,
    EachSequential,
    ForEach,
    Loop,
    LoopFetchType,
    LoopOutputs,
    LoopUntil,
    LoopUntilOutputs,
)
from kestra_stream.plugins.flow.pause import Pause, PauseBehavior, PauseOutputs, Resumed
from kestra_stream.plugins.flow.subflows import (
    Batch,
    ForEachItem,
    ForEachItemSubflow,
    RestartBehavior,
    Subflow,
    SubflowOutputs,
)
from kestra_stream.plugins.flow.working_directory import (
    Cache,
    IfExists,
    NamespaceFiles,
    WorkingDirectory,
    WorkingDirectoryOutputs,
)

__all__ = [
    "AllowFailure",
    "Batch",
    "Cache",
    "CheckFrequency",
    "Dag",
    "DagTask",
    "EachParallel",
    "EachSequential",
    "Exit",
    "ExitState",
    "ForEach",
    "ForEachItem",
    "ForEachItemSubflow",
    "If",
    "IfExists",
    "IfOutputs",
    "Kill",
    "Loop",
    "LoopFetchType",
    "LoopOutputs",
    "LoopUntil",
    "LoopUntilOutputs",
    "NamespaceFiles",
    "Parallel",
    "Pause",
    "PauseBehavior",
    "PauseOutputs",
    "RestartBehavior",
    "Resumed",
    "Sequential",
    "SetVariables",
    "Subflow",
    "SubflowOutputs",
    "Switch",
    "SwitchOutputs",
    "UnsetVariables",
    "WithHandlers",
    "WorkingDirectory",
    "WorkingDirectoryOutputs",
]
