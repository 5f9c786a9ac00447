// Map flow validation messages (POST /flows/validate) to lines of the YAML source.
import { LineCounter, isNode, parseDocument } from "yaml";
import type { ValidateConstraintViolation } from "../api/kestra";

export interface LineDiagnostic {
  line: number; // 1-based
  message: string;
  severity: "error" | "warning";
}

/** "tasks[0].retry.maxAttempts" -> ["tasks", 0, "retry", "maxAttempts"] */
export function parsePath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (m[2] !== undefined) out.push(Number(m[2]));
    else if (/^\d+$/.test(m[1])) out.push(Number(m[1]));
    else out.push(m[1]);
  }
  return out;
}

function lineOfPath(source: string, path: (string | number)[]): number | null {
  const lc = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lc });
  for (let n = path.length; n > 0; n--) {
    const sub = path.slice(0, n);
    // prefer the key (the line where "key:" is written)
    const parent = n > 1 ? doc.getIn(sub.slice(0, -1), true) : doc.contents;
    const last = sub[sub.length - 1];
    const items = (parent as any)?.items;
    if (Array.isArray(items)) {
      if (typeof last === "number") {
        const item = items[last];
        if (item && isNode(item) && item.range) return lc.linePos(item.range[0]).line;
      } else {
        const pair = items.find((p: any) => p?.key && String(p.key.value ?? p.key) === last);
        const at = pair?.key?.range?.[0] ?? pair?.value?.range?.[0];
        if (at !== undefined) return lc.linePos(at).line;
      }
    }
    const node = doc.getIn(sub, true) as any;
    if (node && isNode(node) && node.range) return lc.linePos(node.range[0]).line;
  }
  return null;
}

function lineMatching(source: string, re: RegExp): number | null {
  const lines = source.split("\n");
  const i = lines.findIndex((l) => re.test(l));
  return i >= 0 ? i + 1 : null;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export function lineOfMessage(source: string, message: string): number {
  const prefixed = /^(\d+):(\d+):\s/.exec(message);
  if (prefixed) return Math.max(1, Number(prefixed[1]));
  const explicit = /line[:=\s]+(\d+)/i.exec(message);
  if (explicit) return Math.max(1, Number(explicit[1]));
  const pathMsg = /^\s*([A-Za-z_$][\w$-]*(?:\[\d+\]|\.[\w$-]+)*)\s*:\s/.exec(message);
  if (pathMsg) {
    const l = lineOfPath(source, parsePath(pathMsg[1]));
    if (l) return l;
  }
  const typ = /(?:Invalid type|type)[^:]*:\s*([\w.$]+)/i.exec(message);
  if (typ) {
    const l = lineMatching(source, new RegExp(`type:\\s*["']?${escapeRe(typ[1])}["']?\\s*$`));
    if (l) return l;
  }
  const field = /(?:Unrecognized field|property|field)\s+["'`]([\w$-]+)["'`]/i.exec(message);
  if (field) {
    const l = lineMatching(source, new RegExp(`^\\s*-?\\s*${escapeRe(field[1])}\\s*:`));
    if (l) return l;
  }
  const id = /(?:task|id)\s+["'`]?([\w-]+)["'`]?/i.exec(message);
  if (id) {
    const l = lineMatching(source, new RegExp(`^\\s*-?\\s*id:\\s*["']?${escapeRe(id[1])}["']?\\s*$`));
    if (l) return l;
  }
  return 1;
}

export function splitConstraints(constraints: string | null | undefined): string[] {
  if (!constraints) return [];
  return constraints
    .split(/\n+/)
    .map((s) => s.replace(/^\s*-\s+/, "").trim())
    .filter(Boolean);
}

export function diagnosticsFromValidation(source: string, results: ValidateConstraintViolation[] | null | undefined): LineDiagnostic[] {
  const out: LineDiagnostic[] = [];
  for (const r of results ?? []) {
    if (Array.isArray(r.violations) && r.violations.length) {
      // kestra-stream answers with positions: [{path, message, line, column}]
      for (const v of r.violations) {
        const message = v.path ? `${v.path}: ${v.message}` : v.message;
        out.push({ line: v.line ? Number(v.line) : lineOfMessage(source, message), message, severity: "error" });
      }
    } else {
      for (const m of splitConstraints(r.constraints)) {
        out.push({ line: lineOfMessage(source, m), message: m.replace(/^\d+:\d+:\s/, ""), severity: "error" });
      }
    }
    for (const w of r.warnings ?? []) out.push({ line: lineOfMessage(source, w), message: w, severity: "warning" });
    for (const p of r.deprecationPaths ?? []) {
      const l = lineOfPath(source, parsePath(p)) ?? 1;
      out.push({ line: l, message: `${p} is deprecated`, severity: "warning" });
    }
  }
  return out;
}

/** Syntax errors of the YAML itself (checked in the browser before asking the server). */
export function yamlSyntaxDiagnostics(source: string): LineDiagnostic[] {
  const lc = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lc, prettyErrors: false });
  return doc.errors.map((e) => ({
    line: lc.linePos(e.pos[0]).line,
    message: e.message.split("\n")[0],
    severity: "error" as const,
  }));
}
