/**
 * Trigger changes are commands the scheduler applies asynchronously (docs/scheduler.md): the API
 * answers the state the command leads to, while `/triggers/search` reads the repository, which shows
 * it only once the scheduler has applied it and the indexer has followed. Until then (bounded by a
 * time-to-live, after which the repository wins) the page shows the answered state.
 */

export type TriggerContext = Record<string, any>;

export const triggerKey = (c: TriggerContext) => `${c.tenantId ?? ""}/${c.namespace}/${c.flowId}/${c.triggerId}`;

/** Whether the repository's state has what the command changes (enable/disable, unlock, backfill). */
export function sameOutcome(stored: TriggerContext, answer: TriggerContext): boolean {
  return (
    !!stored.disabled === !!answer.disabled &&
    !!stored.executionId === !!answer.executionId &&
    !!stored.backfill === !!answer.backfill &&
    !!stored.backfill?.paused === !!answer.backfill?.paused
  );
}

/** A search row (`{abstractTrigger, triggerContext}`) or a bare trigger context. */
const contextOf = (row: any): TriggerContext => row.triggerContext ?? row;

export class PendingTriggers {
  private readonly pending = new Map<string, { answer: TriggerContext; until: number }>();

  constructor(private readonly ttlMs = 10000) {}

  get size(): number {
    return this.pending.size;
  }

  /** Remember the state a command's answer announced. */
  expect(answer: TriggerContext, now = Date.now()): void {
    this.pending.set(triggerKey(answer), { answer, until: now + this.ttlMs });
  }

  /** The rows with the announced states in place of those the repository has not caught up with. */
  merge<T>(rows: T[], now = Date.now()): T[] {
    for (const [key, p] of this.pending) if (p.until <= now) this.pending.delete(key);
    return rows.map((row: any) => {
      const stored = contextOf(row);
      const key = triggerKey(stored);
      const p = this.pending.get(key);
      if (!p) return row;
      if (sameOutcome(stored, p.answer)) {
        this.pending.delete(key);
        return row;
      }
      return row.triggerContext ? { ...row, triggerContext: p.answer } : p.answer;
    });
  }
}
