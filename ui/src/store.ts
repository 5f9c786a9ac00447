import { reactive } from "vue";

export const ui = reactive({
  toasts: [] as { id: number; text: string; error?: boolean }[],
  theme: (document.documentElement.dataset.theme as "light" | "dark") || "light",
  config: null as any,
});

let n = 0;
export function toast(text: string, error = false) {
  const id = ++n;
  ui.toasts.push({ id, text, error });
  setTimeout(() => {
    const i = ui.toasts.findIndex((t) => t.id === id);
    if (i >= 0) ui.toasts.splice(i, 1);
  }, error ? 8000 : 4000);
}
export function toastError(e: any) {
  toast(e?.message ?? String(e), true);
}

export function setTheme(t: "light" | "dark") {
  ui.theme = t;
  document.documentElement.dataset.theme = t;
  localStorage.setItem("ks.theme", t);
}

// ---- auth: Kestra's UI sends credentials as the BASIC_AUTH cookie (base64 of "user:password").
export function basicToken(user: string, password: string): string {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let s = "";
  bytes.forEach((b) => (s += String.fromCharCode(b)));
  return btoa(s);
}
export function setAuthCookie(token: string) {
  const secure = location.protocol === "https:" ? "; Secure" : "";
  document.cookie = `BASIC_AUTH=${token}; Path=/; SameSite=Strict${secure}`;
  document.cookie = `kestraBasicAuthenticated=true; Path=/; SameSite=Strict${secure}`;
}
export function clearAuthCookie() {
  document.cookie = "BASIC_AUTH=; Path=/; Max-Age=0";
  document.cookie = "kestraBasicAuthenticated=; Path=/; Max-Age=0";
}
/** The readable flag cookie Kestra's login sets next to the HttpOnly BASIC_AUTH cookie. Checked before
 * calling protected endpoints: a 401 carrying `WWW-Authenticate: Basic` makes browsers open their own
 * credentials dialog, so the SPA goes to its login page first. */
export function hasAuthFlag(): boolean {
  return /(?:^|;\s*)kestraBasicAuthenticated=true(?:;|$)/.test(document.cookie);
}
