"""The flow topology (Kestra's ``FlowGraph``): nodes, edges and clusters for the UI's graph view.

Built from the flow document (plain YAML values), so any task, known or not, gets a node; flowable
tasks (those holding task lists: ``tasks``, ``then``/``else``, ``cases``, ``errors``, ``finally``...)
become clusters whose children are chained sequentially.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

GRAPH = "io.kestra.core.models.hierarchies"
_CHILD_LISTS = ("tasks", "then", "else", "default", "errors", "finally", "afterExecution")


@dataclass
class _Builder:
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    clusters: list[dict[str, Any]] = field(default_factory=list)
    flowables: list[str] = field(default_factory=list)

    def node(self, uid: str, kind: str, **extra: Any) -> str:
        self.nodes.append({"uid": uid, "type": f"{GRAPH}.{kind}", **extra})
        return uid

    def edge(self, source: str, target: str, relation: str = "SEQUENTIAL", value: str | None = None) -> None:
        relation_json: dict[str, Any] = {"relationType": relation}
        if value is not None:
            relation_json["value"] = value
        self.edges.append({"source": source, "target": target, "relation": relation_json})

    def sequence(self, tasks: list[Any], prefix: str, start: str, end: str, parents: list[str]) -> None:
        previous = start
        for task in tasks:
            if not isinstance(task, dict) or "id" not in task:
                continue
            first, last = self.task(task, prefix, parents)
            self.edge(previous, first)
            previous = last
        self.edge(previous, end)

    def task(self, task: dict[str, Any], prefix: str, parents: list[str]) -> tuple[str, str]:
        uid = f"{prefix}.{task['id']}" if prefix else str(task["id"])
        children = {key: task[key] for key in _CHILD_LISTS if isinstance(task.get(key), list)}
        raw_cases = task.get("cases")
        cases: dict[str, Any] = raw_cases if isinstance(raw_cases, dict) else {}
        if not children and not cases:
            self.node(uid, "GraphTask", task=task, relationType="SEQUENTIAL")
            return uid, uid
        cluster_uid = f"cluster_{uid}"
        root, end = f"{uid}_root", f"{uid}_end"
        self.flowables.append(uid)
        cluster_parents = [*parents, cluster_uid]
        self.node(root, "GraphClusterRoot")
        self.node(end, "GraphClusterEnd")
        self.node(uid, "GraphTask", task=task, relationType="SEQUENTIAL")
        self.edge(root, uid)
        before = len(self.nodes)
        for tasks in [*children.values(), *cases.values()]:
            if isinstance(tasks, list):
                self.sequence(tasks, uid, uid, end, cluster_parents)
        self.clusters.append(
            {
                "cluster": {"uid": cluster_uid, "type": f"{GRAPH}.GraphCluster", "taskNode": {"uid": uid}},
                "nodes": [root, uid, end, *(node["uid"] for node in self.nodes[before:])],
                "parents": parents,
                "start": root,
                "end": end,
            }
        )
        return root, end


def flow_graph(document: dict[str, Any]) -> dict[str, Any]:
    builder = _Builder()
    start = builder.node("root.root", "GraphClusterRoot")
    end = builder.node("root.end", "GraphClusterEnd")
    tasks = document.get("tasks") if isinstance(document.get("tasks"), list) else []
    builder.sequence(tasks or [], "", start, end, [])
    triggers = [t for t in document.get("triggers") or [] if isinstance(t, dict) and "id" in t]
    if triggers:
        uids = []
        for trigger in triggers:
            uid = builder.node(f"Triggers.{trigger['id']}", "GraphTrigger", trigger=trigger)
            builder.edge(uid, start)
            uids.append(uid)
        builder.clusters.append(
            {
                "cluster": {"uid": "cluster_Triggers", "type": f"{GRAPH}.GraphCluster"},
                "nodes": uids,
                "parents": [],
                "start": None,
                "end": None,
            }
        )
    return {
        "nodes": builder.nodes,
        "edges": builder.edges,
        "clusters": builder.clusters,
        "flowables": builder.flowables,
    }
