// Flow inputs -> form values -> multipart body (one part per input; files as file parts), as Kestra's
// POST /executions/{namespace}/{id} and /resume expect.
import type { FlowInput, InputValidation } from "../api/kestra";

export type Values = Record<string, any>;

export const normType = (t?: string) => {
  const u = String(t ?? "STRING").toUpperCase();
  return u === "BOOLEAN" ? "BOOL" : u === "ENUM" ? "SELECT" : u;
};

export function initialValues(inputs: FlowInput[] | null | undefined): Values {
  const v: Values = {};
  for (const i of inputs ?? []) {
    const t = normType(i.type);
    const d = i.defaults ?? i.prefill;
    if (t === "FILE") v[i.id] = null;
    else if (t === "MULTISELECT") v[i.id] = Array.isArray(d) ? d.map(String) : d ? [String(d)] : [];
    else if (t === "BOOL") v[i.id] = d === undefined ? undefined : d === true || d === "true";
    else if (d === undefined || d === null) v[i.id] = "";
    else if (typeof d === "object") v[i.id] = JSON.stringify(d, null, 2);
    else if (t === "DATETIME" && typeof d === "string") v[i.id] = d;
    else v[i.id] = String(d);
  }
  return v;
}

export function hasValue(v: any): boolean {
  if (v === undefined || v === null || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

/** Visible when every dependsOn input has a value and the server (validate answer) didn't disable it. */
export function isVisible(input: FlowInput, values: Values, enabled?: Record<string, boolean>): boolean {
  if (enabled && enabled[input.id] === false) return false;
  const deps = input.dependsOn?.inputs ?? [];
  return deps.every((d) => hasValue(values[d]));
}

/** Errors of the validate answer worth showing: the server can't see files before the submit. */
export function relevantErrors(inputs: FlowInput[] | null | undefined, values: Values, errors: Record<string, string[]>) {
  const out: Record<string, string[]> = {};
  for (const [id, list] of Object.entries(errors)) {
    const input = (inputs ?? []).find((i) => i.id === id);
    if (input && normType(input.type) === "FILE" && values[id] instanceof Blob) continue;
    out[id] = list;
  }
  return out;
}

export function toFormData(inputs: FlowInput[] | null | undefined, values: Values, enabled?: Record<string, boolean>): FormData {
  const fd = new FormData();
  for (const i of inputs ?? []) {
    if (!isVisible(i, values, enabled)) continue;
    const v = values[i.id];
    if (!hasValue(v)) continue;
    const t = normType(i.type);
    if (t === "FILE" && v instanceof Blob) fd.append(i.id, v, (v as File).name ?? i.id);
    else if (t === "MULTISELECT") fd.append(i.id, JSON.stringify(v));
    else if (t === "BOOL") fd.append(i.id, v ? "true" : "false");
    else if (t === "DATETIME" && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(String(v))) fd.append(i.id, new Date(v).toISOString());
    else fd.append(i.id, String(v));
  }
  return fd;
}

/** Validation answer -> per-input errors, enabled flags and dynamic SELECT values. */
export function readValidation(res: { inputs?: InputValidation[] } | null | undefined) {
  const errors: Record<string, string[]> = {};
  const enabled: Record<string, boolean> = {};
  const values: Record<string, string[]> = {};
  for (const r of res?.inputs ?? []) {
    const id = r.input?.id;
    if (!id) continue;
    if (r.enabled !== undefined) enabled[id] = r.enabled;
    if (r.errors?.length) errors[id] = r.errors.map((e) => e.message);
    if (Array.isArray(r.input?.values)) values[id] = r.input.values;
  }
  return { errors, enabled, values };
}

/** Per-input errors out of a 422 body: Kestra says "Invalid input for `id`, ...". */
export function inputErrorsFromBody(body: any): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const msgs: string[] = [...(body?._embedded?.errors ?? []).map((e: any) => e?.message), body?.message].filter(Boolean);
  for (const m of msgs) {
    const hit = /Invalid input for `([^`]+)`/.exec(m);
    const clean = m.replace(/^Invalid entity:\s*/, "");
    if (hit && !(out[hit[1]] ?? []).includes(clean)) (out[hit[1]] ??= []).push(clean);
  }
  return out;
}
