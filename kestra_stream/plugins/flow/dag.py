"""``Dag``: tasks started as soon as the tasks they depend on succeeded."""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter

from pydantic import Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from kestra_stream.models.document import KestraModel
from kestra_stream.plugins.base import AnyTask
from kestra_stream.plugins.flow._branches import WithHandlers, flow_type
from kestra_stream.plugins.registry import plugin


class DagTask(KestraModel):
    task: AnyTask
    depends_on: list[str] | None = None


@plugin(*flow_type("Dag"))
class Dag(WithHandlers):
    tasks: list[DagTask] = Field(min_length=1)
    concurrent: int = Field(0, ge=0, description="Tasks running at once; 0 means no limit.")

    @model_validator(mode="after")
    def _dependencies_form_a_dag(self) -> Dag:
        ids = {node.task.id for node in self.tasks}
        problems: list[InitErrorDetails] = []
        graph: TopologicalSorter[str] = TopologicalSorter()
        for index, node in enumerate(self.tasks):
            missing = [dependency for dependency in node.depends_on or () if dependency not in ids]
            if missing:
                problems.append(
                    {
                        "type": PydanticCustomError(
                            "dag_dependency",
                            "Not existing task id in dependency: {ids}",
                            {"ids": str(missing)},
                        ),
                        "loc": ("tasks", index, "dependsOn"),
                        "input": node.depends_on,
                    }
                )
            graph.add(
                node.task.id, *(dependency for dependency in node.depends_on or () if dependency in ids)
            )
        if not problems:
            try:
                graph.prepare()
            except CycleError as error:
                cycle = " -> ".join(error.args[1])
                problems.append(
                    {
                        "type": PydanticCustomError(
                            "dag_cycle", "Cyclic dependency between tasks: {cycle}", {"cycle": cycle}
                        ),
                        "loc": ("tasks",),
                        "input": [node.task.id for node in self.tasks],
                    }
                )
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, problems)
        return self
