import { describe, expect, it } from "vitest";
import { flowTopology, layoutTopology, topologyFromYaml, taskStates } from "./topology";

const FLOW = `id: f
namespace: n
triggers:
  - id: every
    type: io.kestra.plugin.core.trigger.Schedule
tasks:
  - id: first
    type: io.kestra.plugin.core.log.Log
  - id: par
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: a
        type: io.kestra.plugin.core.log.Log
      - id: b
        type: io.kestra.plugin.core.log.Log
  - id: cond
    type: io.kestra.plugin.core.flow.If
    then:
      - id: yes
        type: io.kestra.plugin.core.log.Log
    else:
      - id: no
        type: io.kestra.plugin.core.log.Log
errors:
  - id: alert
    type: io.kestra.plugin.core.log.Log
`;

describe("topology", () => {
  const t = topologyFromYaml(FLOW)!;
  const edge = (a: string, b: string) => t.edges.some((e) => e.from === a && e.to === b);
  it("tasks are nodes and flowables clusters", () => {
    expect(t.nodes.filter((n) => n.kind === "task").map((n) => n.id)).toEqual(["first", "a", "b", "yes", "no", "alert"]);
    expect(t.clusters.map((c) => c.id)).toEqual(["root.triggers", "cluster_par", "cluster_cond", "root.errors"]);
    expect(t.nodes.find((n) => n.id === "a")!.cluster).toBe("cluster_par");
  });
  it("sequential, parallel and branch edges", () => {
    expect(edge("trigger:every", "root.start")).toBe(true);
    expect(edge("root.start", "first")).toBe(true);
    expect(edge("first", "par.start")).toBe(true);
    expect(edge("par.start", "a") && edge("par.start", "b")).toBe(true);
    expect(edge("a", "par.end") && edge("b", "par.end")).toBe(true);
    expect(edge("par.end", "cond.start")).toBe(true);
    expect(t.edges.find((e) => e.from === "cond.start" && e.to === "yes")!.label).toBe("then");
    expect(edge("cond.end", "root.end")).toBe(true);
    expect(t.edges.find((e) => e.from === "root.start" && e.to === "alert")!.dashed).toBe(true);
  });
  it("Dag dependencies", () => {
    const d = flowTopology({
      tasks: [{ id: "dag", type: "io.kestra.plugin.core.flow.Dag", tasks: [
        { task: { id: "x", type: "t.Log" } }, { task: { id: "y", type: "t.Log" }, dependsOn: ["x"] }, { task: { id: "z", type: "t.Log" }, dependsOn: ["x"] },
      ] }],
    });
    const e = (a: string, b: string) => d.edges.some((x) => x.from === a && x.to === b);
    expect(e("dag.start", "x") && e("x", "y") && e("x", "z") && e("y", "dag.end") && e("z", "dag.end")).toBe(true);
    expect(e("dag.start", "y")).toBe(false);
  });
  it("invalid YAML gives null; duplicate ids stay unique", () => {
    expect(topologyFromYaml("tasks: [oops")).toBeNull();
    const d = flowTopology({ tasks: [{ id: "a", type: "x" }, { id: "a", type: "x" }] });
    expect(new Set(d.nodes.map((n) => n.id)).size).toBe(d.nodes.length);
  });
  it("lays out with nodes inside their clusters", () => {
    const l = layoutTopology(t);
    const a = l.nodes.find((n) => n.id === "a")!;
    const c = l.clusters.find((x) => x.id === "cluster_par")!;
    expect(a.x).toBeGreaterThanOrEqual(c.x);
    expect(a.x + a.w).toBeLessThanOrEqual(c.x + c.w + 0.01);
    expect(l.edges.every((e) => e.points.length >= 2)).toBe(true);
    expect(l.width).toBeGreaterThan(0);
  });
  it("task states from the task run list (last run wins)", () => {
    expect(taskStates([{ taskId: "a", state: { current: "FAILED" } }, { taskId: "a", state: { current: "SUCCESS" } }])).toEqual({ a: "SUCCESS" });
  });
});
