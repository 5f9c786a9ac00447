import { describe, expect, it } from "vitest";
import { PendingTriggers, sameOutcome } from "./triggers";

const ctx = (extra: Record<string, any> = {}): Record<string, any> => ({ tenantId: "main", namespace: "n", flowId: "f", triggerId: "t", disabled: false, ...extra });
const row = (extra: Record<string, any> = {}) => ({ abstractTrigger: { id: "t" }, triggerContext: ctx(extra) });

describe("pending trigger commands", () => {
  it("compares what commands change", () => {
    expect(sameOutcome(ctx(), ctx({ updatedDate: "x" }))).toBe(true);
    expect(sameOutcome(ctx(), ctx({ disabled: true }))).toBe(false);
    expect(sameOutcome(ctx({ executionId: "e" }), ctx())).toBe(false);
    expect(sameOutcome(ctx({ backfill: { paused: false } }), ctx({ backfill: { paused: true } }))).toBe(false);
    expect(sameOutcome(ctx({ backfill: {} }), ctx())).toBe(false);
  });

  it("shows the answered state until the repository has it", () => {
    const p = new PendingTriggers(10000);
    p.expect(ctx({ disabled: true }), 0);
    const stale = p.merge([row(), { ...row(), triggerContext: ctx({ triggerId: "other" }) }], 1000);
    expect(stale[0].triggerContext.disabled).toBe(true);
    expect(stale[0].abstractTrigger).toEqual({ id: "t" });
    expect(stale[1].triggerContext.disabled).toBe(false);
    expect(p.size).toBe(1);
    const caughtUp = p.merge([row({ disabled: true, updatedDate: "later" })], 2000);
    expect(caughtUp[0].triggerContext.updatedDate).toBe("later");
    expect(p.size).toBe(0);
    // a later (stale or changed elsewhere) state is shown as is once settled
    expect(p.merge([row()], 3000)[0].triggerContext.disabled).toBe(false);
  });

  it("lets the repository win after the time-to-live", () => {
    const p = new PendingTriggers(10000);
    p.expect(ctx({ disabled: true }), 0);
    expect(p.merge([ctx()], 9999)[0].disabled).toBe(true);
    expect(p.merge([ctx()], 10000)[0].disabled).toBe(false);
    expect(p.size).toBe(0);
  });
});
