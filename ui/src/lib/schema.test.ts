import { describe, expect, it } from "vitest";
import { SchemaIndex, suggest, typeAtLine, yamlContext } from "./schema";

// shaped like kestra-stream's /api/v1/plugins/schemas/flow ($defs, enum types with aliases, allOf items)
const schema = {
  $ref: "#/$defs/Flow",
  $defs: {
    Flow: {
      type: "object",
      required: ["id", "namespace", "tasks"],
      properties: {
        id: { type: "string" },
        namespace: { type: "string" },
        tasks: { type: "array", items: { allOf: [{ $ref: "#/$defs/Task" }] } },
        triggers: { type: "array", items: { $ref: "#/$defs/Trigger" } },
      },
    },
    Task: { oneOf: [{ $ref: "#/$defs/Log" }, { $ref: "#/$defs/Parallel" }] },
    Trigger: { oneOf: [{ $ref: "#/$defs/Schedule" }] },
    Log: {
      title: "Log a message",
      required: ["id", "type", "message"],
      properties: {
        type: { type: "string", enum: ["io.kestra.plugin.core.log.Log", "io.kestra.core.tasks.log.Log"] },
        id: { type: "string" },
        message: { anyOf: [{ type: "string" }, { type: "null" }] },
        level: { enum: ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"] },
      },
    },
    Parallel: {
      properties: {
        type: { const: "io.kestra.plugin.core.flow.Parallel" },
        id: { type: "string" },
        concurrent: { type: "integer" },
        tasks: { type: "array", items: { $ref: "#/$defs/Task" } },
      },
    },
    Schedule: { properties: { type: { const: "io.kestra.plugin.core.trigger.Schedule" }, id: { type: "string" }, cron: { type: "string" } } },
  },
};
const idx = new SchemaIndex(schema);
const at = (text: string) => yamlContext(text.replace("|", ""), text.indexOf("|"));

describe("yamlContext", () => {
  it("finds the path and the enclosing types", () => {
    const c = at(`id: x\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.flow.Parallel\n    tasks:\n      - id: b\n        type: io.kestra.plugin.core.log.Log\n        mes|`)!;
    expect(c.mode).toBe("key");
    expect(c.prefix).toBe("mes");
    expect(c.path).toEqual(["tasks", 0, "tasks", 0]);
    expect(c.types[2]).toBe("io.kestra.plugin.core.flow.Parallel");
    expect(c.types[4]).toBe("io.kestra.plugin.core.log.Log");
  });
  it("value mode on type:", () => {
    const c = at(`id: x\ntasks:\n  - id: a\n    type: io.kestra.plugin.core.l|`)!;
    expect(c).toMatchObject({ mode: "value", key: "type", prefix: "io.kestra.plugin.core.l", path: ["tasks", 0] });
  });
  it("a new list item", () => {
    const c = at(`tasks:\n  - |`)!;
    expect(c.path).toEqual(["tasks", 0]);
  });
});

describe("suggest", () => {
  it("task types under tasks, trigger types under triggers (canonical names only)", () => {
    const s = suggest(idx, at(`tasks:\n  - id: a\n    type: |`)!).map((x) => x.label);
    expect(s).toEqual(["io.kestra.plugin.core.flow.Parallel", "io.kestra.plugin.core.log.Log"]);
    const t = suggest(idx, at(`triggers:\n  - id: a\n    type: |`)!).map((x) => x.label);
    expect(t).toEqual(["io.kestra.plugin.core.trigger.Schedule"]);
  });
  it("properties of the task's type, nested in a flowable", () => {
    const s = suggest(idx, at(`tasks:\n  - id: p\n    type: io.kestra.plugin.core.flow.Parallel\n    tasks:\n      - id: b\n        type: io.kestra.plugin.core.log.Log\n        |`)!);
    expect(s.map((x) => x.label).sort()).toEqual(["id", "level", "message", "type"]);
    expect(s.find((x) => x.label === "message")!.detail).toContain("required");
  });
  it("aliases pick the same variant; enum values are offered", () => {
    const s = suggest(idx, at(`tasks:\n  - id: b\n    type: io.kestra.core.tasks.log.Log\n    level: |`)!);
    expect(s.map((x) => x.label)).toContain("WARN");
  });
  it("root properties", () => {
    expect(suggest(idx, at(`id: x\nna|`)!).map((x) => x.label)).toEqual(["namespace"]);
  });
  it("type under the cursor for the doc panel", () => {
    const t = `tasks:\n  - id: b\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n`;
    expect(typeAtLine(t, t.indexOf("hi"))).toBe("io.kestra.plugin.core.log.Log");
  });
});
