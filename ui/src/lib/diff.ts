import { diffLines } from "diff";

export interface DiffRow {
  left?: string;
  right?: string;
  kind: "same" | "del" | "add" | "change";
}

/** Side-by-side rows from a line diff: removed lines on the left, added on the right, paired when adjacent. */
export function sideBySide(a: string, b: string): DiffRow[] {
  const rows: DiffRow[] = [];
  const parts = diffLines(a ?? "", b ?? "");
  const lines = (v: string) => v.replace(/\n$/, "").split("\n");
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (!p.added && !p.removed) {
      for (const l of lines(p.value)) rows.push({ left: l, right: l, kind: "same" });
    } else if (p.removed) {
      const del = lines(p.value);
      const next = parts[i + 1];
      const add = next?.added ? lines(next.value) : [];
      if (next?.added) i++;
      const n = Math.max(del.length, add.length);
      for (let k = 0; k < n; k++) rows.push({ left: del[k], right: add[k], kind: k < del.length && k < add.length ? "change" : k < del.length ? "del" : "add" });
    } else {
      for (const l of lines(p.value)) rows.push({ right: l, kind: "add" });
    }
  }
  return rows;
}
