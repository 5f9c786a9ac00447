// JSON-Schema driven YAML autocompletion: where is the cursor (path of keys, the `type` of each
// enclosing mapping), and what the schema allows there (properties, task/trigger types, enums).

export type Seg = string | number;

export interface YamlContext {
  path: Seg[]; // from the root to the mapping being edited
  types: (string | undefined)[]; // types[d] = `type:` of the mapping reached after d segments
  mode: "key" | "value";
  key?: string; // in value mode
  prefix: string;
  from: number; // document offset where the completed word starts
}

interface PLine {
  blank: boolean;
  indent: number;
  dash: boolean;
  keyIndent: number;
  key?: string;
  value?: string;
}

export function parseLine(l: string): PLine {
  if (/^\s*(#.*)?$/.test(l)) return { blank: true, indent: 0, dash: false, keyIndent: 0 };
  const m = /^(\s*)(-\s+)?(.*)$/.exec(l)!;
  const indent = m[1].length;
  const keyIndent = indent + (m[2]?.length ?? 0);
  const km = /^([^\s:#'"][^:#]*?|"[^"]*"|'[^']*')\s*:(?:\s+(.*?))?\s*$/.exec(m[3]);
  const key = km ? km[1].replace(/^["']|["']$/g, "") : undefined;
  const value = km ? (km[2] ?? "").replace(/\s+#.*$/, "") : undefined;
  return { blank: false, indent, dash: !!m[2], keyIndent, key, value };
}

/** The `type:` value of the mapping that contains line i and whose keys sit at column k. */
export function typeAround(lines: string[], i: number, k: number, skip = -1): string | undefined {
  const pick = (p: PLine) => (p.key === "type" && p.keyIndent === k && p.value ? p.value.replace(/^["']|["']$/g, "") : undefined);
  for (let j = i; j >= 0; j--) {
    if (j === skip) continue;
    const p = parseLine(lines[j]);
    if (p.blank) continue;
    if (p.indent < k && !(p.dash && p.keyIndent === k)) break;
    const t = pick(p);
    if (t) return t;
    if (p.dash && p.keyIndent === k) break; // start of this item
  }
  for (let j = i + 1; j < lines.length; j++) {
    if (j === skip) continue;
    const p = parseLine(lines[j]);
    if (p.blank) continue;
    if (p.indent < k) break;
    const t = pick(p);
    if (t) return t;
  }
  return undefined;
}

export function yamlContext(text: string, pos: number): YamlContext | null {
  const lines = text.split("\n");
  let idx = 0;
  let off = 0;
  while (idx < lines.length - 1 && off + lines[idx].length < pos) {
    off += lines[idx].length + 1;
    idx++;
  }
  const before = lines[idx].slice(0, pos - off);
  let mode: "key" | "value";
  let prefix: string;
  let key: string | undefined;
  let indent: number;
  let dash: boolean;
  const vm = /^(\s*)(-\s+)?([\w$@.-]+)\s*:\s*(["']?)([^\s"']*)$/.exec(before);
  const km = /^(\s*)(-\s+)?([\w$@.-]*)$/.exec(before);
  if (km) {
    mode = "key";
    prefix = km[3];
    indent = km[1].length;
    dash = !!km[2];
  } else if (vm) {
    mode = "value";
    key = vm[3];
    prefix = vm[5];
    indent = vm[1].length;
    dash = !!vm[2];
  } else return null;
  const keyIndent = indent + (dash ? before.slice(indent).match(/^-\s+/)![0].length : 0);
  const segs: Seg[] = [];
  const typesInner: { depth: number; type?: string }[] = [];
  typesInner.push({ depth: 0, type: typeAround(lines, idx, keyIndent, mode === "key" ? idx : -1) });
  type St = { s: "map"; need: number } | { s: "parent"; d: number };
  let st: St = dash ? { s: "parent", d: indent } : { s: "map", need: keyIndent };
  if (dash) segs.push(0);
  for (let i = idx - 1; i >= 0; i--) {
    const p = parseLine(lines[i]);
    if (p.blank || p.key === undefined && !p.dash) continue;
    if (st.s === "map") {
      if (p.dash && p.keyIndent === st.need) {
        segs.push(0);
        st = { s: "parent", d: p.indent };
        continue;
      }
      if (p.keyIndent < st.need && p.key !== undefined) {
        segs.push(p.key);
        typesInner.push({ depth: segs.length, type: typeAround(lines, i, p.keyIndent) });
        if (p.dash) {
          segs.push(0);
          st = { s: "parent", d: p.indent };
        } else st = { s: "map", need: p.keyIndent };
      }
    } else {
      if (p.key !== undefined && (p.keyIndent < st.d || (p.keyIndent === st.d && !p.dash && !p.value))) {
        segs.push(p.key);
        typesInner.push({ depth: segs.length, type: typeAround(lines, i, p.keyIndent) });
        if (p.dash) {
          segs.push(0);
          st = { s: "parent", d: p.indent };
        } else st = { s: "map", need: p.keyIndent };
      }
    }
  }
  const path = segs.reverse();
  const types: (string | undefined)[] = new Array(path.length + 1).fill(undefined);
  // typesInner depth counts segments pushed *after* the mapping was entered from the inside.
  for (const t of typesInner) {
    // the mapping containing the line found when segs.length == t.depth (after pushing its key)
    // sits right below the first (path.length - t.depth) segments... plus its own item segment.
    const d = t.depth === 0 ? path.length : path.length - t.depth;
    if (d >= 0 && d <= path.length) types[d] = types[d] ?? t.type;
  }
  return { path, types, mode, key, prefix, from: pos - prefix.length };
}

// ---------------------------------------------------------------- schema navigation

export class SchemaIndex {
  root: any;
  defs: Record<string, any>;
  constructor(schema: any) {
    this.root = schema ?? {};
    this.defs = { ...(schema?.definitions ?? {}), ...(schema?.$defs ?? {}) };
  }

  resolve(node: any, depth = 0): any {
    if (!node || typeof node !== "object" || depth > 20) return node ?? {};
    if (node.$ref) {
      const name = decodeURIComponent(String(node.$ref).replace(/^#\/(definitions|\$defs)\//, ""));
      const target = this.defs[name];
      const { $ref: _r, ...rest } = node;
      return this.resolve({ ...(target ?? {}), ...rest }, depth + 1);
    }
    if (Array.isArray(node.allOf)) {
      let merged: any = { ...node, allOf: undefined };
      for (const part of node.allOf) {
        const r = this.resolve(part, depth + 1);
        merged = {
          ...r,
          ...merged,
          properties: { ...(r.properties ?? {}), ...(merged.properties ?? {}) },
          required: [...(r.required ?? []), ...(merged.required ?? [])],
        };
      }
      delete merged.allOf;
      return merged;
    }
    return node;
  }

  variants(node: any): any[] {
    const n = this.resolve(node);
    const list = n.anyOf ?? n.oneOf;
    if (!Array.isArray(list)) return [n];
    return list.flatMap((v: any) => this.variants(v));
  }

  static typeOf(v: any): string | undefined {
    const t = v?.properties?.type;
    // the first enum value is the canonical name; the others are aliases (io.kestra.core.tasks.log.Log...)
    return t?.const ?? (Array.isArray(t?.enum) && t.enum.length ? t.enum[0] : undefined) ?? t?.default;
  }

  /** The object schema for a mapping given its `type` (picks the anyOf variant). */
  pick(node: any, type?: string): any {
    const vs = this.variants(node).filter((v) => v && (v.properties || v.type === "object"));
    if (!vs.length) return this.resolve(node);
    if (type) {
      const hit = vs.find((v) => SchemaIndex.typeOf(v) === type || (v.properties?.type?.enum ?? []).includes(type));
      if (hit) return hit;
      const short = vs.find((v) => String(SchemaIndex.typeOf(v) ?? "").endsWith(`.${type}`));
      if (short) return short;
    }
    if (vs.length === 1) return vs[0];
    const properties: Record<string, any> = {};
    for (const v of vs) Object.assign(properties, v.properties ?? {});
    return { type: "object", properties };
  }

  child(node: any, seg: Seg, type?: string): any {
    const n = this.resolve(node);
    if (typeof seg === "number") {
      const arr = this.variants(n).find((v) => v.items) ?? n;
      return this.resolve(arr.items ?? {});
    }
    const obj = this.pick(n, type);
    const p = obj.properties?.[seg];
    if (p) return this.resolve(p);
    if (obj.additionalProperties && typeof obj.additionalProperties === "object") return this.resolve(obj.additionalProperties);
    return {};
  }

  at(path: Seg[], types: (string | undefined)[]): any {
    let node = this.resolve(this.root);
    path.forEach((seg, i) => {
      node = this.child(node, seg, types[i]);
    });
    return node;
  }

  allTypes(node: any): { type: string; title?: string; description?: string }[] {
    const out = new Map<string, { type: string; title?: string; description?: string }>();
    for (const v of this.variants(node)) {
      const props = v.properties?.type;
      const names: string[] = props?.const ? [props.const] : Array.isArray(props?.enum) ? props.enum.slice(0, 1) : [];
      for (const t of names) if (typeof t === "string") out.set(t, { type: t, title: v.title, description: v.description });
    }
    return [...out.values()].sort((a, b) => a.type.localeCompare(b.type));
  }
}

export interface Suggestion {
  label: string;
  detail?: string;
  info?: string;
  apply: string;
  boost?: number;
  kind: "property" | "type" | "value";
}

function typeLabel(p: any): string {
  if (!p) return "";
  if (p.type) return Array.isArray(p.type) ? p.type.join("|") : p.type;
  const alts: any[] = p.anyOf ?? p.oneOf ?? [];
  const names = alts
    .map((x) => x.type ?? (x.$ref ? String(x.$ref).split("/").pop() : x.anyOf || x.oneOf ? "object" : ""))
    .filter((x) => x && x !== "null");
  return [...new Set(names.flat())].join(" | ");
}

export function suggest(index: SchemaIndex, ctx: YamlContext): Suggestion[] {
  const mapping = index.at(ctx.path, ctx.types);
  const depth = ctx.path.length;
  if (ctx.mode === "key") {
    const obj = index.pick(mapping, ctx.types[depth]);
    const req = new Set<string>(obj.required ?? []);
    return Object.entries(obj.properties ?? {})
      .filter(([k]) => k.startsWith(ctx.prefix) || !ctx.prefix)
      .map(([k, raw]) => {
        const p = index.resolve(raw);
        const compound = p.type === "array" || p.type === "object" || p.properties || p.items;
        return {
          label: k,
          detail: `${typeLabel(p)}${req.has(k) ? " (required)" : ""}`,
          info: p.title || p.description || "",
          apply: compound ? `${k}:\n` : `${k}: `,
          boost: req.has(k) ? 2 : k === "type" || k === "id" ? 3 : 0,
          kind: "property" as const,
        };
      });
  }
  if (ctx.key === "type") {
    return index.allTypes(mapping).map((t) => ({
      label: t.type,
      detail: t.title,
      info: t.description,
      apply: t.type,
      kind: "type" as const,
    }));
  }
  const prop = index.child(mapping, ctx.key!, ctx.types[depth]);
  const values: any[] = prop.enum ?? (prop.const !== undefined ? [prop.const] : prop.type === "boolean" ? [true, false] : []);
  return values.map((v) => ({ label: String(v), apply: String(v), kind: "value" as const }));
}

/** The task/trigger type under the cursor line, for the documentation panel. */
export function typeAtLine(text: string, pos: number): string | undefined {
  const lines = text.split("\n");
  let idx = 0;
  let off = 0;
  while (idx < lines.length - 1 && off + lines[idx].length < pos) {
    off += lines[idx].length + 1;
    idx++;
  }
  for (let i = idx; i >= 0; i--) {
    const p = parseLine(lines[i]);
    if (p.blank) continue;
    const t = typeAround(lines, i, p.keyIndent);
    if (t && t.includes(".")) return t;
    if (p.keyIndent === 0) break;
  }
  return undefined;
}
