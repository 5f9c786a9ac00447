// HTTP client for the Kestra REST API (/api/v1/main/...), as documented in docs/api.md / Kestra 1.x.
// Authentication: the UI sends the BASIC_AUTH cookie (set by the login page), as Kestra's UI does.

export const TENANT = "main";
export const API = `/api/v1/${TENANT}`;
export const API_ROOT = "/api/v1";

export class ApiError extends Error {
  status: number;
  body: any;
  constructor(status: number, message: string, body: any) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export type Query = Record<string, string | number | boolean | undefined | null | (string | number)[]>;

export function qs(params?: Query): string {
  if (!params) return "";
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") continue;
    if (Array.isArray(v)) v.forEach((x) => sp.append(k, String(x)));
    else sp.append(k, String(v));
  }
  const s = sp.toString();
  return s ? `?${s}` : "";
}

/** Kestra error bodies: Micronaut JsonError {message, _embedded:{errors:[{message}]}} or RFC-7807 {title, detail}. */
export function errorMessage(body: any, fallback: string): string {
  if (!body) return fallback;
  if (typeof body === "string") return body || fallback;
  const nested: string[] = (body?._embedded?.errors ?? []).map((e: any) => e?.message).filter(Boolean);
  const main = body.message ?? body.detail ?? body.title ?? body.error;
  const parts = [main, ...nested.filter((m) => m !== main)].filter(Boolean);
  return parts.length ? parts.join("\n") : fallback;
}

let onUnauthorized: (() => void) | null = null;
export function setUnauthorizedHandler(fn: () => void) {
  onUnauthorized = fn;
}

export interface RequestOptions {
  method?: string;
  query?: Query;
  body?: BodyInit | null;
  json?: unknown;
  headers?: Record<string, string>;
  raw?: boolean; // return the Response
  noAuthRedirect?: boolean;
  signal?: AbortSignal;
}

export async function request<T = any>(url: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json", "X-Requested-With": "XMLHttpRequest", ...(opts.headers ?? {}) };
  let body = opts.body ?? undefined;
  if (opts.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.json);
  }
  const res = await fetch(url + qs(opts.query), {
    method: opts.method ?? "GET",
    headers,
    body,
    credentials: "same-origin",
    signal: opts.signal,
  });
  if (res.status === 401) {
    if (onUnauthorized && !opts.noAuthRedirect) onUnauthorized();
    throw new ApiError(401, "Unauthorized", null);
  }
  if (!res.ok) {
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* plain text */
    }
    throw new ApiError(res.status, errorMessage(parsed, `${res.status} ${res.statusText}`), parsed);
  }
  if (opts.raw) return res as any;
  if (res.status === 204) return undefined as T;
  const ct = res.headers.get("content-type") ?? "";
  const text = await res.text();
  if (!text) return undefined as T;
  if (ct.includes("json") || /^[[{"]/.test(text.trim()) || /^(true|false|-?\d)/.test(text.trim())) {
    try {
      return JSON.parse(text);
    } catch {
      return text as any;
    }
  }
  return text as any;
}

export const get = <T = any>(url: string, query?: Query) => request<T>(url, { query });

export interface PagedResults<T> {
  results: T[];
  total: number;
}

/** A filter clause as the API's `filters[field][OP]=value` parameters. */
export interface Filter {
  field: string;
  operation: string;
  value: string | string[];
  key?: string; // labels key
}

export function filterParams(filters: Filter[]): Query {
  const q: Query = {};
  for (const f of filters) {
    if (f.value === "" || (Array.isArray(f.value) && !f.value.length)) continue;
    const v = Array.isArray(f.value) ? f.value.join(",") : f.value;
    if (f.field === "labels" && f.key) q[`filters[labels][${f.operation}][${f.key}]`] = v;
    else q[`filters[${f.field}][${f.operation}]`] = v;
  }
  return q;
}
