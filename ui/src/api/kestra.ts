// Typed calls of the Kestra API used by the UI (paths from kestra-platform.md §4 / docs/api.md).
import { API, API_ROOT, Filter, PagedResults, Query, filterParams, get, qs, request } from "./client";

export interface Label {
  key: string;
  value: string;
}
export interface StateHistory {
  state: string;
  date: string;
}
export interface State {
  current: string;
  histories?: StateHistory[];
  startDate?: string;
  endDate?: string;
  duration?: string | number;
}
export interface TaskRunAttempt {
  state: State;
  workerId?: string;
}
export interface TaskRun {
  id: string;
  taskId: string;
  parentTaskRunId?: string | null;
  value?: string | null;
  attempts?: TaskRunAttempt[] | null;
  outputs?: Record<string, any> | null;
  state: State;
  iteration?: number;
}
export interface Execution {
  id: string;
  namespace: string;
  flowId: string;
  flowRevision?: number;
  state: State;
  taskRunList?: TaskRun[] | null;
  inputs?: Record<string, any> | null;
  outputs?: Record<string, any> | null;
  labels?: Label[] | null;
  variables?: Record<string, any> | null;
  trigger?: { id: string; type: string; variables?: Record<string, any> } | null;
  parentId?: string | null;
  originalId?: string | null;
  kind?: string | null;
}
export interface FlowInput {
  id: string;
  type: string;
  description?: string;
  displayName?: string;
  required?: boolean;
  defaults?: any;
  values?: string[];
  options?: string[];
  allowCustomValue?: boolean;
  dependsOn?: { inputs?: string[]; condition?: string };
  itemType?: string;
  min?: any;
  max?: any;
  [k: string]: any;
}
export interface Flow {
  id: string;
  namespace: string;
  revision?: number;
  description?: string;
  labels?: Label[] | Record<string, string> | null;
  inputs?: FlowInput[] | null;
  tasks?: any[];
  triggers?: any[];
  disabled?: boolean;
  deleted?: boolean;
  source?: string;
  updated?: string;
}
export interface LogEntry {
  namespace?: string;
  flowId?: string;
  taskId?: string;
  executionId?: string;
  taskRunId?: string;
  attemptNumber?: number;
  triggerId?: string;
  timestamp: string;
  level: string;
  message: string;
  thread?: string;
}
export interface TriggerRow {
  abstractTrigger?: any;
  triggerContext?: any;
  [k: string]: any;
}
export interface ValidateConstraintViolation {
  index?: number;
  flow?: string;
  namespace?: string;
  constraints?: string | null;
  outdated?: boolean;
  deprecationPaths?: string[];
  warnings?: string[];
  infos?: string[];
  violations?: { path?: string; message: string; line?: number; column?: number }[];
}
export interface InputValidation {
  input: FlowInput;
  value?: any;
  enabled?: boolean;
  isDefault?: boolean;
  errors?: { message: string }[];
}

const YAML_HEADERS = { "Content-Type": "application/x-yaml" };
const enc = encodeURIComponent;

export function labelsToList(labels: Flow["labels"]): Label[] {
  if (!labels) return [];
  if (Array.isArray(labels)) return labels;
  return Object.entries(labels).map(([key, value]) => ({ key, value: String(value) }));
}

export const configs = () => get(`${API_ROOT}/configs`);
/** Server-side login (sets the HttpOnly BASIC_AUTH cookie and the kestraBasicAuthenticated flag). */
export const login = (username: string, password: string) =>
  request(`${API_ROOT}/login`, { method: "POST", json: { username, password } });
export const logout = () => request(`${API_ROOT}/logout`, { method: "POST" });
export const setupBasicAuth = (username: string, password: string) =>
  request(`${API}/basicAuth`, { method: "POST", json: { username, password } });

// ---- flows
export const searchFlows = (filters: Filter[], page = 1, size = 25, sort?: string) =>
  get<PagedResults<Flow>>(`${API}/flows/search`, { page, size, sort, ...filterParams(filters) });
export const getFlow = (ns: string, id: string, revision?: number) =>
  get<Flow>(`${API}/flows/${enc(ns)}/${enc(id)}`, { source: true, revision });
export const createFlow = (source: string) =>
  request<Flow>(`${API}/flows`, { method: "POST", body: source, headers: YAML_HEADERS });
export const updateFlow = (ns: string, id: string, source: string) =>
  request<Flow>(`${API}/flows/${enc(ns)}/${enc(id)}`, { method: "PUT", body: source, headers: YAML_HEADERS });
export const deleteFlow = (ns: string, id: string) =>
  request(`${API}/flows/${enc(ns)}/${enc(id)}`, { method: "DELETE" });
export const validateFlow = (source: string, signal?: AbortSignal) =>
  request<ValidateConstraintViolation[]>(`${API}/flows/validate`, {
    method: "POST",
    body: source,
    headers: YAML_HEADERS,
    signal,
  });
export const flowRevisions = (ns: string, id: string) =>
  get<Flow[]>(`${API}/flows/${enc(ns)}/${enc(id)}/revisions`);
export const distinctNamespaces = () => get<string[]>(`${API}/flows/distinct-namespaces`);
export const latestExecutions = (flows: { namespace: string; id: string }[]) =>
  request<any[]>(`${API}/executions/latest`, { method: "POST", json: flows });

// ---- executions
export const searchExecutions = (filters: Filter[], page = 1, size = 25, sort = "state.startDate:desc") =>
  get<PagedResults<Execution>>(`${API}/executions/search`, { page, size, sort, ...filterParams(filters) });
export const getExecution = (id: string) => get<Execution>(`${API}/executions/${enc(id)}`);

export function executeFlow(
  ns: string,
  id: string,
  form: FormData,
  opts: { labels?: Label[]; scheduleDate?: string; revision?: number } = {},
) {
  const query: Query = {
    labels: (opts.labels ?? []).filter((l) => l.key).map((l) => `${l.key}:${l.value}`),
    scheduleDate: opts.scheduleDate,
    revision: opts.revision,
  };
  return request<Execution>(`${API}/executions/${enc(ns)}/${enc(id)}`, { method: "POST", body: form, query });
}
export const validateExecutionInputs = (ns: string, id: string, form: FormData) =>
  request<{ inputs: InputValidation[] }>(`${API}/executions/${enc(ns)}/${enc(id)}/validate`, {
    method: "POST",
    body: form,
  });
export const killExecution = (id: string) =>
  request(`${API}/executions/${enc(id)}/kill`, { method: "DELETE", query: { isOnKillCascade: true } });
export const restartExecution = (id: string) => request<Execution>(`${API}/executions/${enc(id)}/restart`, { method: "POST" });
export const replayExecution = (id: string, taskRunId?: string) =>
  request<Execution>(`${API}/executions/${enc(id)}/replay`, { method: "POST", query: { taskRunId } });
export const pauseExecution = (id: string) => request(`${API}/executions/${enc(id)}/pause`, { method: "POST" });
export const resumeExecution = (id: string, form: FormData) =>
  request(`${API}/executions/${enc(id)}/resume`, { method: "POST", body: form });
export const resumeValidate = (id: string, form: FormData) =>
  request<{ inputs: InputValidation[] }>(`${API}/executions/${enc(id)}/resume/validate`, { method: "POST", body: form });
export const changeExecutionStatus = (id: string, status: string) =>
  request<Execution>(`${API}/executions/${enc(id)}/change-status`, { method: "POST", query: { status } });
export const changeTaskRunState = (id: string, taskRunId: string, state: string) =>
  request<Execution>(`${API}/executions/${enc(id)}/state`, { method: "POST", json: { taskRunId, state } });
export const setExecutionLabels = (id: string, labels: Label[]) =>
  request<Execution>(`${API}/executions/${enc(id)}/labels`, { method: "POST", json: labels });
export const deleteExecution = (id: string) => request(`${API}/executions/${enc(id)}`, { method: "DELETE" });

export type BulkAction = "kill" | "restart" | "replay" | "delete" | "labels" | "resume" | "pause";
export function bulkExecutions(action: BulkAction, ids: string[], labels?: Label[]) {
  switch (action) {
    case "kill":
      return request(`${API}/executions/kill/by-ids`, { method: "DELETE", json: ids });
    case "delete":
      return request(`${API}/executions/by-ids`, { method: "DELETE", json: ids, query: { includeNonTerminated: true } });
    case "labels":
      return request(`${API}/executions/labels/by-ids`, {
        method: "POST",
        json: { executionsId: ids, executionLabels: labels ?? [] },
      });
    default:
      return request(`${API}/executions/${action}/by-ids`, { method: "POST", json: ids });
  }
}

export const fileUrl = (executionId: string, path: string) =>
  `${API}/executions/${enc(executionId)}/file${qs({ path })}`;
export const filePreview = (executionId: string, path: string) =>
  get(`${API}/executions/${enc(executionId)}/file/preview`, { path, maxRows: 100 });
export const fileMetas = (executionId: string, path: string) =>
  get<{ size: number }>(`${API}/executions/${enc(executionId)}/file/metas`, { path });
export const flowForExecution = (executionId: string) => get<Flow>(`${API}/executions/${enc(executionId)}/flow`);
export const dailyStats = (body: Record<string, any>) =>
  request<any[]>(`${API}/stats/executions/daily`, { method: "POST", json: body });

// ---- logs
export const searchLogs = (filters: Filter[], page = 1, size = 50, sort = "timestamp:desc") =>
  get<PagedResults<LogEntry>>(`${API}/logs/search`, { page, size, sort, ...filterParams(filters) });
export const executionLogs = (id: string, minLevel?: string) =>
  get<LogEntry[]>(`${API}/logs/${enc(id)}`, { minLevel });
export const logsFollowUrl = (id: string, minLevel?: string) => `${API}/logs/${enc(id)}/follow${qs({ minLevel })}`;
export const executionFollowUrl = (id: string) => `${API}/executions/${enc(id)}/follow`;
export const logsDownloadUrl = (id: string, minLevel?: string) => `${API}/logs/${enc(id)}/download${qs({ minLevel })}`;

// ---- triggers
export const searchTriggers = (filters: Filter[], page = 1, size = 25) =>
  get<PagedResults<TriggerRow>>(`${API}/triggers/search`, { page, size, ...filterParams(filters) });
export const flowTriggers = (ns: string, flowId: string) =>
  get<PagedResults<any>>(`${API}/triggers/${enc(ns)}/${enc(flowId)}`, { page: 1, size: 100 });
export const updateTrigger = (trigger: Record<string, any>) => request(`${API}/triggers`, { method: "PUT", json: trigger });
export const unlockTrigger = (ns: string, flowId: string, triggerId: string) =>
  request(`${API}/triggers/${enc(ns)}/${enc(flowId)}/${enc(triggerId)}/unlock`, { method: "POST" });

// ---- namespaces / kv / files
export const searchNamespaces = (q = "", page = 1, size = 100) =>
  get<PagedResults<{ id: string }>>(`${API}/namespaces/search`, { q, page, size });
export const listKv = (ns: string) => get<any[]>(`${API}/namespaces/${enc(ns)}/kv`);
export const getKv = (ns: string, key: string) => get<{ type: string; value: any }>(`${API}/namespaces/${enc(ns)}/kv/${enc(key)}`);
export const putKv = (ns: string, key: string, value: string, ttl?: string, description?: string) => {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (ttl) headers.ttl = ttl;
  if (description) headers.description = description;
  return request(`${API}/namespaces/${enc(ns)}/kv/${enc(key)}`, { method: "PUT", body: value, headers });
};
export const deleteKv = (ns: string, key: string) => request(`${API}/namespaces/${enc(ns)}/kv/${enc(key)}`, { method: "DELETE" });
export const listDirectory = (ns: string, path = "/") =>
  get<any[]>(`${API}/namespaces/${enc(ns)}/files/directory`, { path });
export const readNsFile = (ns: string, path: string) =>
  request<Response>(`${API}/namespaces/${enc(ns)}/files`, { query: { path }, raw: true }).then((r) => r.text());
export function writeNsFile(ns: string, path: string, content: string | Blob) {
  const fd = new FormData();
  fd.append("fileContent", content instanceof Blob ? content : new Blob([content]), path.split("/").pop() || "file");
  return request(`${API}/namespaces/${enc(ns)}/files`, { method: "POST", body: fd, query: { path } });
}
export const createNsDirectory = (ns: string, path: string) =>
  request(`${API}/namespaces/${enc(ns)}/files/directory`, { method: "POST", query: { path } });
export const deleteNsFile = (ns: string, path: string) =>
  request(`${API}/namespaces/${enc(ns)}/files`, { method: "DELETE", query: { path } });

// ---- plugins
export const plugins = () => get<any[]>(`${API_ROOT}/plugins`);
export const pluginDoc = (cls: string) => get<{ markdown?: string; schema?: any }>(`${API_ROOT}/plugins/${enc(cls)}`);
export const flowSchema = () => get<any>(`${API_ROOT}/plugins/schemas/flow`);
export const pluginIcons = () => get<Record<string, any>>(`${API_ROOT}/plugins/icons`);
