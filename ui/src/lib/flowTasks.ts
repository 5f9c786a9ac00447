// Find a task definition by id anywhere in a flow (tasks, flowable children, errors, finally...).
export function findTask(node: any, id: string): any | null {
  if (!node || typeof node !== "object") return null;
  if (Array.isArray(node)) {
    for (const x of node) {
      const r = findTask(x, id);
      if (r) return r;
    }
    return null;
  }
  if (node.id === id && typeof node.type === "string") return node;
  for (const [k, v] of Object.entries(node)) {
    if (k === "inputs" || k === "outputs" || k === "triggers" || typeof v !== "object") continue;
    const r = findTask(v, id);
    if (r) return r;
  }
  return null;
}

/** The onResume inputs of the Pause task an execution is paused on. */
export function pauseInputs(flow: any, taskRunList: any[] | null | undefined): any[] {
  const paused = (taskRunList ?? []).filter((t) => t.state?.current === "PAUSED");
  for (const tr of paused.reverse()) {
    const t = findTask(flow, tr.taskId);
    if (t?.onResume?.length) return t.onResume;
  }
  return [];
}
