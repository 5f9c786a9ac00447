import { shallowRef } from "vue";
import { flowSchema } from "../api/kestra";
import { SchemaIndex } from "./schema";

export const schemaIndex = shallowRef<SchemaIndex | null>(null);
let loading: Promise<SchemaIndex | null> | null = null;

export function loadSchema(): Promise<SchemaIndex | null> {
  if (!loading) {
    loading = flowSchema()
      .then((s) => {
        schemaIndex.value = new SchemaIndex(s);
        (window as any).__ksSchemaLoaded = true;
        return schemaIndex.value;
      })
      .catch(() => {
        loading = null;
        return null;
      });
  }
  return loading;
}

export function docOfType(index: SchemaIndex | null, type?: string) {
  if (!index || !type) return null;
  for (const [name, def] of Object.entries(index.defs)) {
    const d = index.resolve(def);
    if (SchemaIndex.typeOf(d) === type || name === type) return { name, ...d };
  }
  return null;
}
