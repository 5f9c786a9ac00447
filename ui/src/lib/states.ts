export const STATES = [
  "CREATED", "QUEUED", "RUNNING", "PAUSED", "RESTARTED", "KILLING", "SUCCESS", "WARNING",
  "FAILED", "KILLED", "CANCELLED", "SKIPPED", "RETRYING", "RETRIED", "BREAKPOINT",
];
export const TERMINAL = new Set(["SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "SKIPPED", "RETRIED"]);
export const RUNNING_STATES = new Set(["CREATED", "QUEUED", "RUNNING", "RESTARTED", "KILLING", "RETRYING", "PAUSED", "BREAKPOINT"]);
export const STATE_COLORS: Record<string, string> = {
  CREATED: "#8f96a3",
  QUEUED: "#a78bfa",
  RUNNING: "#3b82f6",
  PAUSED: "#d946ef",
  RESTARTED: "#06b6d4",
  KILLING: "#f97316",
  SUCCESS: "#22c55e",
  WARNING: "#eab308",
  FAILED: "#ef4444",
  KILLED: "#f59e0b",
  CANCELLED: "#9ca3af",
  SKIPPED: "#9ca3af",
  RETRYING: "#0ea5e9",
  RETRIED: "#64748b",
  BREAKPOINT: "#ec4899",
};
export const stateColor = (s?: string) => (s && STATE_COLORS[s]) || "#8f96a3";
export const isTerminal = (s?: string) => !!s && TERMINAL.has(s);
