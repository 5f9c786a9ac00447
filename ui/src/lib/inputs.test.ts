import { describe, expect, it } from "vitest";
import { initialValues, inputErrorsFromBody, isVisible, readValidation, relevantErrors, toFormData } from "./inputs";

const inputs: any[] = [
  { id: "name", type: "STRING", defaults: "world" },
  { id: "n", type: "INT", defaults: 3 },
  { id: "ok", type: "BOOLEAN", defaults: true },
  { id: "env", type: "SELECT", values: ["dev", "prod"] },
  { id: "tags", type: "MULTISELECT", values: ["a", "b"], defaults: ["a"] },
  { id: "region", type: "STRING", dependsOn: { inputs: ["env"] } },
  { id: "doc", type: "FILE" },
  { id: "cfg", type: "JSON", defaults: { a: 1 } },
];

describe("inputs", () => {
  it("prefills defaults by type", () => {
    expect(initialValues(inputs)).toEqual({ name: "world", n: "3", ok: true, env: "", tags: ["a"], region: "", doc: null, cfg: '{\n  "a": 1\n}' });
  });
  it("dependsOn hides until the parent has a value, unless the server says otherwise", () => {
    const v = initialValues(inputs);
    expect(isVisible(inputs[5], v)).toBe(false);
    expect(isVisible(inputs[5], { ...v, env: "dev" })).toBe(true);
    expect(isVisible(inputs[5], v, { region: true })).toBe(false);
    expect(isVisible(inputs[5], { ...v, env: "dev" }, { region: false })).toBe(false);
  });
  it("builds the multipart body: one part per input, files as file parts", () => {
    const v = { ...initialValues(inputs), env: "prod", region: "eu", doc: new File(["hello"], "a.txt") };
    const fd = toFormData(inputs, v);
    expect(fd.get("name")).toBe("world");
    expect(fd.get("ok")).toBe("true");
    expect(fd.get("tags")).toBe('["a"]');
    expect(fd.get("region")).toBe("eu");
    expect((fd.get("doc") as File).name).toBe("a.txt");
    expect(fd.has("missing")).toBe(false);
  });
  it("reads the validate answer", () => {
    const r = readValidation({ inputs: [{ input: { id: "n", type: "INT" }, enabled: true, errors: [{ message: "Invalid input for `n`" }] }, { input: { id: "region", type: "STRING" }, enabled: false }] });
    expect(r.errors).toEqual({ n: ["Invalid input for `n`"] });
    expect(r.enabled).toEqual({ n: true, region: false });
  });
});

describe("422 bodies", () => {
  it("per-input errors", () => {
    const body = { message: "Invalid entity: Invalid input for `code`, it must match the pattern", _embedded: { errors: [{ message: "Invalid input for `code`, it must match the pattern" }] } };
    expect(inputErrorsFromBody(body)).toEqual({ code: ["Invalid input for `code`, it must match the pattern"] });
  });
});

describe("validate answer", () => {
  it("files are not seen by validate: their missing-input error is dropped once chosen", () => {
    const ins: any[] = [{ id: "doc", type: "FILE" }, { id: "n", type: "INT" }];
    const errs = { doc: ["missing required input"], n: ["bad"] };
    expect(relevantErrors(ins, { doc: new File(["x"], "a"), n: "x" }, errs)).toEqual({ n: ["bad"] });
    expect(relevantErrors(ins, { doc: null, n: "x" }, errs)).toEqual(errs);
  });
});
