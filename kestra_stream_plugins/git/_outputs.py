"""The git tasks' outputs, as Kestra documents them (shown by the editor and the plugin pages)."""

from __future__ import annotations

from pydantic import Field

from kestra_stream.models.document import KestraModel


class CloneOutputs(KestraModel):
    directory: str = Field(description="The absolute path of the clone on the worker.")


class SyncFlowsOutputs(KestraModel):
    flows: str = Field(
        description=(
            "ION file of the changes: one `{gitPath, syncState, flowId, namespace, revision}` row each."
        )
    )


class SyncNamespaceFilesOutputs(KestraModel):
    files: str = Field(
        description="ION file of the changes: one `{gitPath, syncState, kestraPath}` row each."
    )


class PushOutputs(KestraModel):
    commit_id: str | None = Field(
        None, description="The commit pushed (the current head when nothing changed)."
    )
    commit_url: str | None = Field(
        None, alias="commitURL", description="A link to the commit (GitHub layout)."
    )


class PushFlowsOutputs(PushOutputs):
    flows: str = Field(description="ION file of the changes: one `{gitPath, syncState}` row each.")


class PushNamespaceFilesOutputs(PushOutputs):
    files: str = Field(description="ION file of the changes: one `{gitPath, syncState}` row each.")
