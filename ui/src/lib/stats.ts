import type { Execution } from "../api/kestra";

export interface DayBucket {
  date: string; // YYYY-MM-DD
  counts: Record<string, number>;
}

export function emptyDays(days: number, end = new Date()): DayBucket[] {
  const out: DayBucket[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const d = new Date(end.getTime() - i * 86400000);
    out.push({ date: d.toISOString().slice(0, 10), counts: {} });
  }
  return out;
}

/** Kestra's DailyExecutionStatistics [{startDate, executionCounts:{STATE:n}}] onto a fixed range of days. */
export function fromDailyStats(stats: any[], days: number, end = new Date()): DayBucket[] {
  const out = emptyDays(days, end);
  const idx = new Map(out.map((b) => [b.date, b]));
  for (const s of stats ?? []) {
    const b = idx.get(String(s.startDate ?? s.date ?? "").slice(0, 10));
    if (!b) continue;
    for (const [k, v] of Object.entries(s.executionCounts ?? {})) b.counts[k] = (b.counts[k] ?? 0) + Number(v);
  }
  return out;
}

/** Fallback when /stats is not served: count executions per start day and state. */
export function fromExecutions(execs: Execution[], days: number, end = new Date()): DayBucket[] {
  const out = emptyDays(days, end);
  const idx = new Map(out.map((b) => [b.date, b]));
  for (const e of execs) {
    const start = e.state.startDate ?? e.state.histories?.[0]?.date;
    if (!start) continue;
    const b = idx.get(new Date(start).toISOString().slice(0, 10));
    if (b) b.counts[e.state.current] = (b.counts[e.state.current] ?? 0) + 1;
  }
  return out;
}

export const totalOf = (b: DayBucket) => Object.values(b.counts).reduce((a, c) => a + c, 0);
