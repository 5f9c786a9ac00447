// Dates in the user's time zone (setting "ks.tz", default: the browser's), durations, sizes.
export function userTimeZone(): string {
  try {
    return localStorage.getItem("ks.tz") || Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

export function formatDate(value: string | number | Date | null | undefined, tz = userTimeZone()): string {
  if (value === null || value === undefined || value === "") return "";
  const d = value instanceof Date ? value : new Date(value);
  if (isNaN(d.getTime())) return String(value);
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: tz,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).formatToParts(d);
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** Seconds of an ISO-8601 duration (PT1M2.5S, P1DT2H) or a number of seconds. */
export function durationSeconds(v: string | number | null | undefined): number | null {
  if (v === null || v === undefined || v === "") return null;
  if (typeof v === "number") return v;
  const m = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(-?\d+(?:\.\d+)?)S)?)?$/.exec(v);
  if (!m) return Number.isFinite(Number(v)) ? Number(v) : null;
  const [, d, h, mi, s] = m.map((x) => (x ? parseFloat(x) : 0));
  return d * 86400 + h * 3600 + mi * 60 + s;
}

export function humanDuration(sec: number | null | undefined): string {
  if (sec === null || sec === undefined || !isFinite(sec)) return "";
  if (sec < 1) return `${Math.round(sec * 1000)}ms`;
  if (sec < 60) return `${sec.toFixed(sec < 10 ? 2 : 1)}s`;
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = Math.round(sec % 60);
  return h ? `${h}h ${m}m ${s}s` : `${m}m ${s}s`;
}

export function stateDuration(state: { startDate?: string; endDate?: string; duration?: any; histories?: any[] } | undefined, now = Date.now()): number | null {
  if (!state) return null;
  const fromField = durationSeconds(state.duration);
  const start = state.startDate ?? state.histories?.[0]?.date;
  if (state.endDate && start) return (new Date(state.endDate).getTime() - new Date(start).getTime()) / 1000;
  if (fromField !== null && state.endDate) return fromField;
  if (start) return (now - new Date(start).getTime()) / 1000;
  return fromField;
}

export function humanSize(n: number | null | undefined): string {
  if (n === null || n === undefined) return "";
  const u = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  let x = n;
  while (x >= 1024 && i < u.length - 1) {
    x /= 1024;
    i++;
  }
  return `${i ? x.toFixed(1) : x} ${u[i]}`;
}

/** Local "YYYY-MM-DDTHH:mm" (datetime-local input) to an ISO instant with offset. */
export function localInputToIso(v: string): string {
  if (!v) return "";
  return new Date(v).toISOString();
}
