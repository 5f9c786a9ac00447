import { describe, expect, it } from "vitest";
import { durationSeconds, formatDate, humanDuration, humanSize } from "./format";
import { fromQuery, labelFilters, toApiFilters, toQuery } from "./filters";
import { sideBySide } from "./diff";
import { fromDailyStats, fromExecutions } from "./stats";
import { pauseInputs } from "./flowTasks";
import { passwordProblems } from "./auth";
import { filterParams, errorMessage, qs } from "../api/client";

describe("format", () => {
  it("formats dates in the chosen time zone", () => {
    expect(formatDate("2026-01-01T12:00:00Z", "UTC")).toBe("2026-01-01 12:00:00");
    expect(formatDate("2026-01-01T12:00:00Z", "Asia/Tokyo")).toBe("2026-01-01 21:00:00");
    expect(formatDate("2026-07-01T12:00:00Z", "America/New_York")).toBe("2026-07-01 08:00:00");
  });
  it("durations", () => {
    expect(durationSeconds("PT1M2.5S")).toBe(62.5);
    expect(durationSeconds("P1DT1H")).toBe(90000);
    expect(humanDuration(0.25)).toBe("250ms");
    expect(humanDuration(3725)).toBe("1h 2m 5s");
    expect(humanSize(2048)).toBe("2.0 KB");
  });
});

describe("filters", () => {
  it("encodes Kestra's filters[field][OP] parameters", () => {
    const q = filterParams(toApiFilters({ q: "x", namespace: "company", state: ["FAILED", "KILLED"], labels: "env:prod", timeRange: "PT1H" }));
    expect(q).toEqual({
      "filters[q][EQUALS]": "x",
      "filters[namespace][PREFIX]": "company",
      "filters[state][IN]": "FAILED,KILLED",
      "filters[labels][EQUALS][env]": "prod",
      "filters[timeRange][EQUALS]": "PT1H",
    });
    expect(qs({ a: [1, 2], b: undefined, c: "" })).toBe("?a=1&a=2");
  });
  it("round-trips through the route query", () => {
    const f = { q: "x", state: ["FAILED"], labels: "a:b" };
    expect(fromQuery(toQuery(f))).toMatchObject(f);
    expect(labelFilters("a:b, c:d:e")).toEqual([
      { field: "labels", operation: "EQUALS", key: "a", value: "b" },
      { field: "labels", operation: "EQUALS", key: "c", value: "d:e" },
    ]);
  });
  it("error messages from Micronaut JsonError bodies", () => {
    expect(errorMessage({ message: "Invalid entity", _embedded: { errors: [{ message: "inputs.n: must be int" }] } }, "x")).toBe("Invalid entity\ninputs.n: must be int");
    expect(errorMessage(null, "fallback")).toBe("fallback");
  });
});

describe("diff, stats, pause inputs, auth", () => {
  it("side by side diff pairs changed lines", () => {
    const rows = sideBySide("a\nb\nc\n", "a\nB\nc\nd\n");
    expect(rows.map((r) => r.kind)).toEqual(["same", "change", "same", "add"]);
  });
  it("daily buckets", () => {
    const end = new Date("2026-01-10T12:00:00Z");
    const b = fromDailyStats([{ startDate: "2026-01-09", executionCounts: { SUCCESS: 3, FAILED: 1 } }], 3, end);
    expect(b.map((x) => x.date)).toEqual(["2026-01-08", "2026-01-09", "2026-01-10"]);
    expect(b[1].counts).toEqual({ SUCCESS: 3, FAILED: 1 });
    const e = fromExecutions([{ id: "1", namespace: "n", flowId: "f", state: { current: "SUCCESS", startDate: "2026-01-10T01:00:00Z" } }], 3, end);
    expect(e[2].counts).toEqual({ SUCCESS: 1 });
  });
  it("finds the onResume inputs of the paused task", () => {
    const flow = { tasks: [{ id: "seq", type: "x.Sequential", tasks: [{ id: "wait", type: "x.Pause", onResume: [{ id: "ok", type: "BOOL" }] }] }] };
    expect(pauseInputs(flow, [{ taskId: "seq", state: { current: "RUNNING" } }, { taskId: "wait", state: { current: "PAUSED" } }])).toEqual([{ id: "ok", type: "BOOL" }]);
  });
  it("password policy", () => {
    expect(passwordProblems("admin@kestra.io", "Kestra1234")).toEqual([]);
    expect(passwordProblems("admin", "short").length).toBe(4);
  });
});
