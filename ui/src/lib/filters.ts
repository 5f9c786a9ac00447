import type { Filter } from "../api/client";

/** "env:prod team:data" -> labels filters (EQUALS per key). */
export function labelFilters(text: string): Filter[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s.includes(":"))
    .map((s) => {
      const i = s.indexOf(":");
      return { field: "labels", operation: "EQUALS", key: s.slice(0, i), value: s.slice(i + 1) };
    });
}

export interface ListFilters {
  q?: string;
  namespace?: string;
  flowId?: string;
  state?: string[];
  labels?: string;
  timeRange?: string;
  startDate?: string;
  endDate?: string;
  level?: string;
  triggerId?: string;
}

export function toApiFilters(f: ListFilters): Filter[] {
  const out: Filter[] = [];
  if (f.q) out.push({ field: "q", operation: "EQUALS", value: f.q });
  if (f.namespace) out.push({ field: "namespace", operation: "PREFIX", value: f.namespace });
  if (f.flowId) out.push({ field: "flowId", operation: "EQUALS", value: f.flowId });
  if (f.state?.length) out.push({ field: "state", operation: "IN", value: f.state });
  if (f.labels) out.push(...labelFilters(f.labels));
  if (f.timeRange) out.push({ field: "timeRange", operation: "EQUALS", value: f.timeRange });
  if (f.startDate) out.push({ field: "startDate", operation: "GREATER_THAN_OR_EQUAL_TO", value: f.startDate });
  if (f.endDate) out.push({ field: "endDate", operation: "LESS_THAN_OR_EQUAL_TO", value: f.endDate });
  if (f.level) out.push({ field: "level", operation: "EQUALS", value: f.level });
  if (f.triggerId) out.push({ field: "triggerId", operation: "EQUALS", value: f.triggerId });
  return out;
}

/** Route query <-> filters (so a filtered list is a shareable URL). */
export function fromQuery(q: Record<string, any>): ListFilters {
  const s = (k: string) => (typeof q[k] === "string" ? q[k] : "");
  const st = q.state;
  return {
    q: s("q"),
    namespace: s("namespace"),
    flowId: s("flowId"),
    state: Array.isArray(st) ? st : st ? String(st).split(",") : [],
    labels: s("labels"),
    timeRange: s("timeRange"),
    startDate: s("startDate"),
    endDate: s("endDate"),
    level: s("level"),
    triggerId: s("triggerId"),
  };
}
export function toQuery(f: ListFilters): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) {
    if (Array.isArray(v)) {
      if (v.length) out[k] = v.join(",");
    } else if (v) out[k] = String(v);
  }
  return out;
}
