// Flow topology computed from the flow (parsed YAML): tasks are nodes, flowables are clusters
// with a start and an end node, edges follow the execution order. Laid out with dagre (compound).
import { graphlib, layout } from "@dagrejs/dagre";
import { parse } from "yaml";

export interface TNode {
  id: string;
  label: string;
  type: string;
  kind: "task" | "start" | "end" | "trigger";
  cluster?: string;
  taskId?: string;
}
export interface TCluster {
  id: string;
  label: string;
  type: string;
  parent?: string;
  kind: "flowable" | "errors" | "finally" | "triggers" | "branch";
}
export interface TEdge {
  from: string;
  to: string;
  label?: string;
  dashed?: boolean;
}
export interface Topology {
  nodes: TNode[];
  clusters: TCluster[];
  edges: TEdge[];
}

const short = (t: string) => (t || "").split(".").pop() || t;

const PARALLEL = /\.(Parallel|EachParallel|ForEach)$/;

/** Children branches of a flowable task: each list runs in sequence; branches run side by side. */
export function flowableBranches(task: any): { label?: string; tasks: any[] }[] | null {
  const t = String(task?.type ?? "");
  if (Array.isArray(task?.then) || Array.isArray(task?.else)) {
    const b: { label?: string; tasks: any[] }[] = [];
    if (Array.isArray(task.then)) b.push({ label: "then", tasks: task.then });
    if (Array.isArray(task.else)) b.push({ label: "else", tasks: task.else });
    return b;
  }
  if (task?.cases && typeof task.cases === "object") {
    const b = Object.entries(task.cases).map(([k, v]) => ({ label: k, tasks: Array.isArray(v) ? v : [] }));
    if (Array.isArray(task.defaults)) b.push({ label: "defaults", tasks: task.defaults });
    return b;
  }
  if (Array.isArray(task?.tasks)) {
    if (/\.Dag$/.test(t)) return [{ label: "dag", tasks: task.tasks }];
    if (PARALLEL.test(t) && !(/\.ForEach$/.test(t) && task.concurrencyLimit === 1)) {
      return task.tasks.map((x: any) => ({ tasks: [x] }));
    }
    return [{ tasks: task.tasks }];
  }
  return null;
}

export function flowTopology(flow: any): Topology {
  const topo: Topology = { nodes: [], clusters: [], edges: [] };
  const used = new Set<string>();
  const uid = (base: string) => {
    let id = base;
    let i = 1;
    while (used.has(id)) id = `${base}~${i++}`;
    used.add(id);
    return id;
  };
  type Block = { entries: string[]; exits: string[] };

  const connect = (a: string[], b: string[], label?: string, dashed?: boolean) => {
    for (const x of a) for (const y of b) topo.edges.push({ from: x, to: y, label, dashed });
  };

  const seq = (tasks: any[], cluster?: string): Block | null => {
    let first: Block | null = null;
    let prev: Block | null = null;
    for (const t of tasks ?? []) {
      if (!t || typeof t !== "object") continue;
      const b = task(t, cluster);
      if (!first) first = b;
      if (prev) connect(prev.exits, b.entries);
      prev = b;
    }
    return first && prev ? { entries: first.entries, exits: prev.exits } : null;
  };

  const withErrorsFinally = (owner: any, clusterId: string | undefined, start: string, end: string, bodyExits: string[]) => {
    let exits = bodyExits;
    if (Array.isArray(owner?.errors) && owner.errors.length) {
      const cid = uid(`${clusterId ?? "root"}.errors`);
      topo.clusters.push({ id: cid, label: "errors", type: "errors", parent: clusterId, kind: "errors" });
      const b = seq(owner.errors, cid);
      if (b) {
        connect([start], b.entries, "errors", true);
        connect(b.exits, [end], undefined, true);
      }
    }
    if (Array.isArray(owner?.finally) && owner.finally.length) {
      const cid = uid(`${clusterId ?? "root"}.finally`);
      topo.clusters.push({ id: cid, label: "finally", type: "finally", parent: clusterId, kind: "finally" });
      const b = seq(owner.finally, cid);
      if (b) {
        connect(exits, b.entries);
        exits = b.exits;
      }
    }
    connect(exits, [end]);
  };

  const task = (t: any, cluster?: string): Block => {
    const id = String(t.id ?? "?");
    const branches = flowableBranches(t);
    if (!branches) {
      const nid = uid(id);
      topo.nodes.push({ id: nid, label: id, type: String(t.type ?? ""), kind: "task", cluster, taskId: id });
      return { entries: [nid], exits: [nid] };
    }
    const cid = uid(`cluster_${id}`);
    topo.clusters.push({ id: cid, label: `${id} (${short(t.type)})`, type: String(t.type ?? ""), parent: cluster, kind: "flowable" });
    const start = uid(`${id}.start`);
    const end = uid(`${id}.end`);
    topo.nodes.push({ id: start, label: "", type: "start", kind: "start", cluster: cid, taskId: id });
    topo.nodes.push({ id: end, label: "", type: "end", kind: "end", cluster: cid });
    const exits: string[] = [];
    if (/\.Dag$/.test(String(t.type))) {
      const byId = new Map<string, Block>();
      for (const d of t.tasks ?? []) {
        const inner = d?.task ?? d;
        if (inner?.id) byId.set(String(inner.id), task(inner, cid));
      }
      const hasDependents = new Set<string>();
      for (const d of t.tasks ?? []) {
        const inner = d?.task ?? d;
        const deps: string[] = d?.dependsOn ?? [];
        const me = byId.get(String(inner?.id));
        if (!me) continue;
        if (!deps.length) connect([start], me.entries);
        for (const dep of deps) {
          const src = byId.get(dep);
          if (src) {
            connect(src.exits, me.entries);
            hasDependents.add(dep);
          }
        }
      }
      for (const [k, b] of byId) if (!hasDependents.has(k)) exits.push(...b.exits);
    } else {
      for (const br of branches) {
        const b = seq(br.tasks, cid);
        if (b) {
          connect([start], b.entries, br.label);
          exits.push(...b.exits);
        } else {
          connect([start], [end], br.label);
        }
      }
    }
    withErrorsFinally(t, cid, start, end, exits.length ? exits : [start]);
    return { entries: [start], exits: [end] };
  };

  const start = uid("root.start");
  const end = uid("root.end");
  topo.nodes.push({ id: start, label: "", type: "start", kind: "start" });
  if (Array.isArray(flow?.triggers) && flow.triggers.length) {
    const cid = uid("root.triggers");
    topo.clusters.push({ id: cid, label: "triggers", type: "triggers", kind: "triggers" });
    for (const tr of flow.triggers) {
      const nid = uid(`trigger:${tr?.id ?? "?"}`);
      topo.nodes.push({ id: nid, label: String(tr?.id ?? "?"), type: String(tr?.type ?? ""), kind: "trigger", cluster: cid });
      topo.edges.push({ from: nid, to: start });
    }
  }
  const body = seq(Array.isArray(flow?.tasks) ? flow.tasks : []);
  if (body) connect([start], body.entries);
  topo.nodes.push({ id: end, label: "", type: "end", kind: "end" });
  withErrorsFinally(flow, undefined, start, end, body ? body.exits : [start]);
  if (Array.isArray(flow?.afterExecution) && flow.afterExecution.length) {
    const cid = uid("root.afterExecution");
    topo.clusters.push({ id: cid, label: "afterExecution", type: "afterExecution", kind: "finally" });
    const b = seq(flow.afterExecution, cid);
    if (b) connect([end], b.entries, undefined, true);
  }
  return topo;
}

/** Topology from YAML text; null when the YAML can't be parsed (the last good graph stays shown). */
export function topologyFromYaml(source: string): Topology | null {
  try {
    const flow = parse(source);
    if (!flow || typeof flow !== "object") return null;
    return flowTopology(flow);
  } catch {
    return null;
  }
}

export interface Laid {
  width: number;
  height: number;
  nodes: (TNode & { x: number; y: number; w: number; h: number })[];
  clusters: (TCluster & { x: number; y: number; w: number; h: number; depth: number })[];
  edges: (TEdge & { points: { x: number; y: number }[] })[];
}

export const NODE_W = 180;
export const NODE_H = 46;
export const DOT = 14;

export function layoutTopology(t: Topology, rankdir: "LR" | "TB" = "LR"): Laid {
  const g = new graphlib.Graph({ compound: true, multigraph: true });
  g.setGraph({ rankdir, nodesep: 24, ranksep: 40, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const c of t.clusters) g.setNode(c.id, { label: c.label, paddingTop: 22, paddingLeft: 10, paddingRight: 10, paddingBottom: 10 });
  for (const c of t.clusters) if (c.parent) g.setParent(c.id, c.parent);
  for (const n of t.nodes) {
    const small = n.kind === "start" || n.kind === "end";
    g.setNode(n.id, { width: small ? DOT : NODE_W, height: small ? DOT : NODE_H });
    if (n.cluster) g.setParent(n.id, n.cluster);
  }
  t.edges.forEach((e, i) => g.setEdge(e.from, e.to, { label: e.label }, `e${i}`));
  // Empty clusters confuse dagre: give them a placeholder.
  for (const c of t.clusters) {
    if (!(g.children(c.id) ?? []).length) g.setNode(`${c.id}__empty`, { width: 10, height: 10 }), g.setParent(`${c.id}__empty`, c.id);
  }
  layout(g);
  const depthOf = (id: string): number => {
    let d = 0;
    let p = g.parent(id) as string | undefined;
    while (p) {
      d++;
      p = g.parent(p) as string | undefined;
    }
    return d;
  };
  const nodes = t.nodes.map((n) => {
    const v = g.node(n.id) as any;
    return { ...n, x: v.x - v.width / 2, y: v.y - v.height / 2, w: v.width, h: v.height };
  });
  const clusters = t.clusters.map((c) => {
    const v = g.node(c.id) as any;
    return { ...c, x: v.x - v.width / 2, y: v.y - v.height / 2, w: v.width, h: v.height, depth: depthOf(c.id) };
  });
  clusters.sort((a, b) => a.depth - b.depth);
  const edges = t.edges.map((e, i) => {
    const v = g.edge({ v: e.from, w: e.to, name: `e${i}` }) as any;
    return { ...e, points: v?.points ?? [] };
  });
  const gg = g.graph() as any;
  return { width: gg.width ?? 0, height: gg.height ?? 0, nodes, clusters, edges };
}

/** The state shown on a task node: the state of its last task run (by position in the list). */
export function taskStates(taskRunList: { taskId: string; state: { current: string } }[] | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tr of taskRunList ?? []) out[tr.taskId] = tr.state?.current;
  return out;
}
