import { describe, expect, it } from "vitest";
import { diagnosticsFromValidation, lineOfMessage, parsePath, yamlSyntaxDiagnostics } from "./validation";

const SRC = `id: t1
namespace: company.team
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
  - id: bad
    type: io.kestra.plugin.core.log.Lo
    message: x
    retry:
      maxAttempts: 0
`;

describe("validation -> lines", () => {
  it("parses property paths", () => {
    expect(parsePath("tasks[1].retry.maxAttempts")).toEqual(["tasks", 1, "retry", "maxAttempts"]);
  });
  it("uses the positions kestra-stream sends (violations)", () => {
    const d = diagnosticsFromValidation(SRC, [
      { constraints: "x", violations: [{ path: "tasks[1].type", message: "Invalid type", line: 7, column: 5 }] },
    ]);
    expect(d).toEqual([{ line: 7, message: "tasks[1].type: Invalid type", severity: "error" }]);
  });
  it("reads the line:column prefix of constraints", () => {
    const d = diagnosticsFromValidation(SRC, [{ constraints: "4:5: tasks[0].message: must not be null" }]);
    expect(d[0]).toMatchObject({ line: 4, message: "tasks[0].message: must not be null" });
  });
  it("maps Kestra's path messages to lines (missing key -> its task)", () => {
    expect(lineOfMessage(SRC, "tasks[0].message: must not be null")).toBe(4);
    expect(lineOfMessage(SRC, "tasks[1].retry.maxAttempts: must be greater than or equal to 1")).toBe(10);
    expect(lineOfMessage(SRC, "namespace: invalid")).toBe(2);
  });
  it("maps type and field messages", () => {
    expect(lineOfMessage(SRC, "Invalid type: io.kestra.plugin.core.log.Lo")).toBe(7);
    expect(lineOfMessage(SRC, 'Unrecognized field "retry" (class Log)')).toBe(9);
    expect(lineOfMessage(SRC, "at [Source: (String); line: 6, column: 3]")).toBe(6);
  });
  it("splits multi-line constraints and keeps warnings", () => {
    const d = diagnosticsFromValidation(SRC, [{ constraints: "tasks[0].message: must not be null\nInvalid type: io.kestra.plugin.core.log.Lo", warnings: ["tasks[1].type: deprecated"] }]);
    expect(d.map((x) => [x.line, x.severity])).toEqual([[4, "error"], [7, "error"], [7, "warning"]]);
  });
  it("finds YAML syntax errors in the browser", () => {
    const d = yamlSyntaxDiagnostics("id: a\ntasks:\n  - id: x\n    message: [oops\n");
    expect(d.length).toBeGreaterThan(0);
    expect(d[0].line).toBeGreaterThanOrEqual(4);
  });
});
