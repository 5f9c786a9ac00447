// Browser end-to-end test of the UI against a running kestra-stream server (playwright-core + Debian's chromium).
//
//   node tests/ui/e2e.mjs --base-url http://127.0.0.1:8080 --user admin@kestra.io --password Kestra1234 \
//        [--screenshots docs/screenshots] [--perf 10000] [--perf-only] [--chromium /usr/bin/chromium]
//
// --perf-only (or KS_PERF_ONLY=1) runs the login and the --perf measurement, skipping the other steps.
//
// Exit code 0 when every step passed; the steps and timings are printed as JSON lines on stdout.
import { createRequire } from "node:module";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(resolve(here, "../../ui/package.json"));
const { chromium } = require("playwright-core");

const argv = process.argv.slice(2);
const arg = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : process.env[`KS_${name.toUpperCase().replace(/-/g, "_")}`] ?? def;
};
const BASE = arg("base-url", "http://127.0.0.1:8080").replace(/\/$/, "");
const USER = arg("user", "admin@kestra.io");
const PASSWORD = arg("password", "Kestra1234");
const SHOTS = resolve(arg("screenshots", resolve(here, "../../docs/screenshots")));
const PERF = Number(arg("perf", "0"));
const PERF_ONLY = argv.includes("--perf-only") || Boolean(process.env.KS_PERF_ONLY);
const CHROMIUM = arg("chromium", "/usr/bin/chromium");
const AUTH = "Basic " + Buffer.from(`${USER}:${PASSWORD}`).toString("base64");
const RUN = Date.now().toString(36);
const NS = "e2e.ui";

const log = (o) => console.log(JSON.stringify(o));
const results = [];
async function step(name, fn) {
  if (PERF_ONLY && name !== "login" && !name.startsWith("executions list with")) {
    log({ step: name, skipped: "--perf-only" });
    return;
  }
  const t0 = Date.now();
  try {
    const extra = await fn();
    results.push({ name, ok: true });
    log({ step: name, ok: true, ms: Date.now() - t0, ...(extra ?? {}) });
  } catch (e) {
    results.push({ name, ok: false });
    log({ step: name, ok: false, ms: Date.now() - t0, error: String(e?.stack ?? e).slice(0, 1500) });
    throw e;
  }
}
function assert(c, msg) {
  if (!c) throw new Error(`assertion failed: ${msg}`);
}

async function api(method, path, body, headers = {}) {
  const res = await fetch(`${BASE}/api/v1/main${path}`, { method, body, headers: { Authorization: AUTH, ...headers } });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}
const yamlHeaders = { "Content-Type": "application/x-yaml" };
async function upsertFlow(source, ns, id) {
  let flow;
  try {
    await api("GET", `/flows/${ns}/${id}`);
    flow = await api("PUT", `/flows/${ns}/${id}`, source, yamlHeaders);
  } catch {
    flow = await api("POST", "/flows", source, yamlHeaders);
  }
  return flow;
}

const userDataDir = mkdtempSync(join(tmpdir(), "ks-e2e-"));
mkdirSync(SHOTS, { recursive: true });
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: CHROMIUM,
  headless: true,
  viewport: { width: 1440, height: 900 },
  timezoneId: "Europe/Paris",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const page = context.pages()[0] ?? (await context.newPage());
page.setDefaultTimeout(20000);
const consoleErrors = [];
page.on("pageerror", (e) => consoleErrors.push(String(e)));
const shot = (name) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
const url = (p) => `${BASE}/ui/main${p}`;

/** Replace the whole CodeMirror document (typing through the keyboard, as a user pasting). */
async function setEditor(text) {
  const content = page.locator('[data-testid="yaml-editor"] .cm-content');
  await content.click();
  await page.keyboard.press("Control+a");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(text);
}
async function waitState(state, timeout = 60000) {
  await page.locator(`[data-testid="execution-state"][data-state="${state}"]`).first().waitFor({ timeout });
}

const FLOW_ID = `e2e_${RUN}`;
const BROKEN = `id: ${FLOW_ID}
namespace: ${NS}
description: Created by the browser test
labels:
  team: ui
inputs:
  - id: name
    type: STRING
    defaults: world
  - id: repeat
    type: INT
    defaults: 1
  - id: code
    type: STRING
    validator: "^[a-z0-9]+$"
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "Hello {{ inputs.name }} x{{ inputs.repeat }} {{ inputs.code }}"
  - id: broken
    type: io.kestra.plugin.core.log.Lo
    message: second task
`;
const BROKEN_LINE = BROKEN.split("\n").findIndex((l) => l.includes("log.Lo\r") || /log\.Lo$/.test(l)) + 1;
const FIXED = BROKEN.replace(/log\.Lo$/m, "log.Log");

let executionId = null;
let exitCode = 0;
try {
  await step("login", async () => {
    await page.goto(`${BASE}/ui/`);
    await page.locator('[data-testid="login-form"]').waitFor();
    await shot("login");
    await page.fill('input[name="username"]', USER);
    await page.fill('input[name="password"]', "wrong-Passw0rd");
    await page.click('[data-testid="login-submit"]');
    await page.locator('[data-testid="login-error"]').waitFor();
    await page.fill('input[name="password"]', PASSWORD);
    await page.click('[data-testid="login-submit"]');
    await page.locator('[data-testid="sidebar"]').waitFor();
    const cookies = await context.cookies();
    assert(cookies.some((c) => c.name === "BASIC_AUTH"), "BASIC_AUTH cookie set");
  });

  await step("dashboard", async () => {
    await page.goto(url("/"));
    await page.locator('[data-testid="executions-chart"]').waitFor();
    await page.waitForTimeout(500);
    await shot("dashboard");
  });

  await step("editor: inline validation error on the right line, then fixed", async () => {
    await page.goto(url("/flows"));
    await page.locator('[data-testid="flows-table"]').waitFor();
    await page.click('[data-testid="create-flow"]');
    await page.locator('[data-testid="yaml-editor"] .cm-content').waitFor();
    // autocompletion from the flow JSON schema: task types, then the chosen type's properties
    await page.waitForFunction(() => window.__ksSchemaLoaded === true, null, { timeout: 15000 });
    await setEditor(`id: ${FLOW_ID}\nnamespace: ${NS}\ntasks:\n  - id: hello\n    type: io.kestra.plugin.core.lo`);
    await page.keyboard.type("g.L");
    const popup = page.locator(".cm-tooltip-autocomplete");
    await popup.getByText("io.kestra.plugin.core.log.Log", { exact: true }).first().waitFor();
    await page.waitForTimeout(250); // CodeMirror ignores Enter during the popup's interactionDelay
    await page.keyboard.press("Enter");
    await page.keyboard.press("Enter");
    await page.keyboard.type("messa");
    await popup.locator("li", { hasText: "message" }).first().waitFor();
    await page.waitForTimeout(250);
    await shot("editor-autocomplete");
    await page.keyboard.press("Enter");
    const typed = await page.evaluate(() => document.querySelector(".cm-content").innerText);
    assert(/type: io\.kestra\.plugin\.core\.log\.Log\n\s+message: /.test(typed), `completion applied: ${JSON.stringify(typed)}`);
    await setEditor(BROKEN);
    const problem = page.locator('[data-testid="problem"]').filter({ hasText: "Invalid type" });
    await problem.first().waitFor({ timeout: 15000 });
    const line = Number(await problem.first().getAttribute("data-line"));
    assert(line === BROKEN_LINE, `problem on line ${line}, expected ${BROKEN_LINE}`);
    // the lint mark sits in the editor on that line
    await page.locator(".cm-lintRange-error").first().waitFor();
    const markLine = await page.evaluate(() => {
      const mark = document.querySelector(".cm-lintRange-error");
      const lineEl = mark?.closest(".cm-line");
      return lineEl ? [...document.querySelectorAll(".cm-content .cm-line")].indexOf(lineEl) + 1 : -1;
    });
    assert(markLine === BROKEN_LINE, `lint mark on line ${markLine}, expected ${BROKEN_LINE}`);
    await shot("editor-validation-error");
    await setEditor(FIXED);
    await page.locator('[data-testid="no-problems"]').waitFor({ timeout: 15000 });
    await page.locator('[data-testid="topology"] [data-node="broken"]').waitFor();
    await shot("editor");
    return { errorLine: line };
  });

  await step("save", async () => {
    await page.click('[data-testid="save-flow"]');
    await page.waitForURL(new RegExp(`/flows/edit/${NS}/${FLOW_ID}/edit`));
    const flow = await api("GET", `/flows/${NS}/${FLOW_ID}`);
    assert(flow.revision >= 1, "flow saved");
  });

  await step("execute through the generated form; Gantt reaches SUCCESS; live log line", async () => {
    await page.click('[data-testid="editor-execute"]');
    const form = page.locator('[data-testid="execute-form"]');
    await form.waitFor();
    // the server's validation message shows under the input, then a valid value goes through
    await form.locator('input[name="name"]').fill("e2e");
    await form.locator('input[name="repeat"]').fill("3");
    await form.locator('input[name="code"]').fill("BAD!");
    await page.click('[data-testid="execute-submit"]');
    await form.locator('[data-input="code"] [data-testid="input-error"]').filter({ hasText: "must match the pattern" }).waitFor();
    await shot("execute-form-validation");
    await form.locator('input[name="code"]').fill("abc123");
    await shot("execute-form");
    await page.click('[data-testid="execute-submit"]');
    await page.waitForURL(/\/executions\/e2e\.ui\/.+\/gantt/);
    executionId = page.url().split("/").slice(-2)[0];
    await waitState("SUCCESS");
    await page.locator('.gantt-row[data-task="broken"][data-state="SUCCESS"]').waitFor();
    await page.locator('.gantt-row[data-task="hello"][data-state="SUCCESS"]').waitFor();
    await shot("execution-gantt");
    await page.click('[data-testid="tab-logs"]');
    await page.locator('[data-testid="log-line"]').filter({ hasText: "Hello e2e x3 abc123" }).first().waitFor();
    await shot("execution-logs");
    await page.click('[data-testid="tab-topology"]');
    await page.locator('[data-testid="topology"] [data-node="hello"][data-state="SUCCESS"]').waitFor();
    await shot("execution-topology");
    await page.click('[data-testid="tab-overview"]');
    await page.locator('[data-testid="execution-overview"]').waitFor();
    await shot("execution-overview");
    return { executionId };
  });

  await step("live log follow while running", async () => {
    const id = `e2e_live_${RUN}`;
    await upsertFlow(`id: ${id}\nnamespace: ${NS}\ntasks:\n  - id: before\n    type: io.kestra.plugin.core.log.Log\n    message: first line\n  - id: nap\n    type: io.kestra.plugin.core.flow.Sleep\n    duration: PT3S\n  - id: after\n    type: io.kestra.plugin.core.log.Log\n    message: line after the sleep\n`, NS, id);
    const ex = await api("POST", `/executions/${NS}/${id}`, new FormData());
    await page.goto(url(`/executions/${NS}/${id}/${ex.id}/logs`));
    await page.locator('[data-testid="log-line"]').filter({ hasText: "first line" }).first().waitFor();
    await page.locator('[data-testid="log-line"]').filter({ hasText: "line after the sleep" }).first().waitFor({ timeout: 30000 });
  });

  await step("find the execution through the list filters", async () => {
    await page.goto(url("/executions"));
    await page.locator('[data-testid="executions-table"]').waitFor();
    await page.fill('[data-testid="ex-flow"]', FLOW_ID);
    await page.fill('[data-testid="ex-labels"]', "");
    await page.click('[data-testid="ex-state"] summary');
    await page.check('[data-state-option="SUCCESS"]');
    await page.click('[data-testid="ex-state"] summary');
    await page.locator(`[data-execution="${executionId}"]`).waitFor();
    // every row shown matches both filters (the other flows' executions are gone)
    await page.waitForFunction(
      (flow) => {
        const rows = [...document.querySelectorAll("[data-execution]")];
        return rows.length > 0 && rows.every((r) => r.dataset.flowId === flow && r.dataset.rowState === "SUCCESS");
      },
      FLOW_ID,
    );
    assert(page.url().includes(`flowId=${FLOW_ID}`) && page.url().includes("state=SUCCESS"), `filters in the URL: ${page.url()}`);
    await page.check('[data-testid="auto-refresh"]');
    await shot("executions-list");
    await page.uncheck('[data-testid="auto-refresh"]');
    await page.click('[data-testid="ex-state"] summary');
    await page.uncheck('[data-state-option="SUCCESS"]');
    await page.check('[data-state-option="FAILED"]');
    await page.click('[data-testid="ex-state"] summary');
    await page.locator(`[data-execution="${executionId}"]`).waitFor({ state: "detached" });
  });

  await step("kill a running execution", async () => {
    const id = `e2e_sleep_${RUN}`;
    await upsertFlow(`id: ${id}\nnamespace: ${NS}\ntasks:\n  - id: nap\n    type: io.kestra.plugin.core.flow.Sleep\n    duration: PT120S\n`, NS, id);
    const ex = await api("POST", `/executions/${NS}/${id}`, new FormData());
    await page.goto(url(`/executions/${NS}/${id}/${ex.id}/gantt`));
    await waitState("RUNNING");
    await page.click('[data-testid="kill"]');
    await waitState("KILLED", 30000);
    await shot("execution-killed");
  });

  await step("resume a paused execution through its form", async () => {
    const id = `e2e_pause_${RUN}`;
    await upsertFlow(`id: ${id}\nnamespace: ${NS}\ntasks:\n  - id: approve\n    type: io.kestra.plugin.core.flow.Pause\n    onResume:\n      - id: approved\n        type: BOOL\n        defaults: true\n      - id: reason\n        type: STRING\n        defaults: looks good\n  - id: after\n    type: io.kestra.plugin.core.log.Log\n    message: "resumed: {{ outputs.approve.onResume.reason }}"\n`, NS, id);
    const ex = await api("POST", `/executions/${NS}/${id}`, new FormData());
    await page.goto(url(`/executions/${NS}/${id}/${ex.id}/gantt`));
    await waitState("PAUSED");
    await page.click('[data-testid="resume"]');
    const form = page.locator('[data-testid="resume-form"]');
    await form.locator('input[name="reason"]').waitFor();
    await form.locator('input[name="reason"]').fill("approved by e2e");
    await shot("resume-form");
    await page.click('[data-testid="resume-submit"]');
    await waitState("SUCCESS", 30000);
    const done = await api("GET", `/executions/${ex.id}`);
    const after = (done.taskRunList ?? []).find((t) => t.taskId === "approve");
    assert(JSON.stringify(after?.outputs ?? {}).includes("approved by e2e"), "resume input reached the execution");
  });

  await step("flow pages: topology, revisions, triggers", async () => {
    await upsertFlow(FIXED.replace("description: Created by the browser test", "description: Revision 2"), NS, FLOW_ID);
    await page.goto(url(`/flows/edit/${NS}/${FLOW_ID}/topology`));
    await page.locator('[data-testid="topology"] [data-node="hello"]').waitFor();
    await shot("flow-topology");
    await page.click('[data-testid="tab-revisions"]');
    await page.locator('[data-testid="revisions"] .diff').waitFor();
    await shot("flow-revisions");
    await page.click('[data-testid="tab-overview"]');
    await page.locator('[data-testid="executions-chart"]').waitFor();
    await shot("flow-overview");
  });

  await step("namespaces: KV store", async () => {
    await page.goto(url(`/namespaces/edit/${NS}/kv`));
    await page.click('[data-testid="kv-add"]');
    await page.fill('[data-testid="kv-key"]', `k_${RUN}`);
    await page.fill('[data-testid="kv-value"]', "hello kv");
    await page.click('[data-testid="kv-save"]');
    await page.locator(`[data-key="k_${RUN}"]`).waitFor();
    const v = await api("GET", `/namespaces/${NS}/kv/k_${RUN}`);
    assert(v.value === "hello kv", `kv value ${JSON.stringify(v)}`);
    await shot("namespace-kv");
  });

  await step("namespaces: files editor", async () => {
    await page.goto(url(`/namespaces/edit/${NS}/files`));
    await page.locator('[data-testid="ns-files"]').waitFor();
    page.once("dialog", (d) => d.accept(`notes_${RUN}.txt`));
    await page.getByRole("button", { name: "+ File" }).click();
    await page.locator('[data-testid="yaml-editor"] .cm-content').waitFor();
    await setEditor("written from the browser\n");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByText(`notes_${RUN}.txt`).first().waitFor();
    const res = await fetch(`${BASE}/api/v1/main/namespaces/${NS}/files?path=/notes_${RUN}.txt`, { headers: { Authorization: AUTH } });
    const text = await res.text();
    assert(text.includes("written from the browser"), `namespace file content: ${res.status} ${text.slice(0, 200)}`);
    await shot("namespace-files");
  });

  await step("triggers: list, disable/enable", async () => {
    const id = `e2e_sched_${RUN}`;
    await upsertFlow(`id: ${id}\nnamespace: ${NS}\ntriggers:\n  - id: yearly\n    type: io.kestra.plugin.core.trigger.Schedule\n    cron: "0 0 1 1 *"\ntasks:\n  - id: hello\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n`, NS, id);
    // `server local` runs the scheduler: it writes the trigger's state, the indexer makes it searchable.
    const search = `/triggers/search?filters[flowId][EQUALS]=${id}`.replace(/\[/g, "%5B").replace(/\]/g, "%5D");
    const deadline = Date.now() + 20000;
    while ((await api("GET", search)).total === 0) {
      assert(Date.now() < deadline, `no trigger state for ${NS}.${id} after 20 s (is the scheduler running?)`);
      await new Promise((r) => setTimeout(r, 250));
    }
    await page.goto(url(`/flows/edit/${NS}/${id}/triggers`));
    await page.locator('[data-testid="triggers-table"]').waitFor();
    // The page shows the state the command leads to at once, then the repository's once indexed.
    const indexed = async (disabled) => {
      const until = Date.now() + 20000;
      for (;;) {
        const row = (await api("GET", search)).results[0];
        if (!!row.triggerContext.disabled === disabled) return;
        assert(Date.now() < until, `trigger still ${disabled ? "enabled" : "disabled"} in the repository after 20 s`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    await page.locator('[data-testid="triggers-table"] button', { hasText: "Disable" }).first().click();
    await page.locator('[data-testid="triggers-table"] button', { hasText: "Enable" }).first().waitFor();
    await indexed(true);
    await shot("flow-triggers");
    await page.locator('[data-testid="triggers-table"] button', { hasText: "Enable" }).first().click();
    await page.locator('[data-testid="triggers-table"] button', { hasText: "Disable" }).first().waitFor();
    await indexed(false);
    // a reload reads the repository only: it has the enabled state
    await page.reload();
    await page.locator('[data-testid="triggers-table"] button', { hasText: "Disable" }).first().waitFor();
  });

  await step("logs, triggers, plugins pages; dark theme", async () => {
    await page.goto(url("/logs"));
    await page.locator('[data-testid="log-line"]').first().waitFor();
    await shot("logs");
    await page.goto(url("/admin/triggers"));
    await page.locator('[data-testid="triggers-table"]').waitFor();
    await shot("triggers");
    await page.goto(url("/plugins/io.kestra.plugin.core.log.Log"));
    await page.locator('[data-testid="plugin-doc"] code').first().waitFor();
    await shot("plugins");
    await page.goto(url("/flows"));
    await page.locator(`[data-flow="${FLOW_ID}"]`).waitFor();
    await shot("flows");
    await page.click('[data-testid="theme-toggle"]');
    const theme = await page.evaluate(() => document.documentElement.dataset.theme);
    await shot(`flows-${theme}`);
    await page.click('[data-testid="theme-toggle"]');
  });

  if (PERF > 0) {
    await step(`executions list with ${PERF} executions (measured, not asserted)`, async () => {
      const id = `e2e_perf`;
      await upsertFlow(`id: ${id}\nnamespace: ${NS}\ntasks:\n  - id: ok\n    type: io.kestra.plugin.core.debug.Return\n    format: ok\n`, NS, id);
      const before = (await api("GET", `/executions/search?size=1`)).total;
      const need = Math.max(0, PERF - before);
      const t0 = Date.now();
      let next = 0;
      await Promise.all(Array.from({ length: 32 }, async () => {
        while (next < need) {
          next++;
          await api("POST", `/executions/${NS}/${id}`, new FormData());
        }
      }));
      const created = Date.now() - t0;
      // wait until the repository shows them
      const deadline = Date.now() + 300000;
      let total = 0;
      while (Date.now() < deadline) {
        total = (await api("GET", `/executions/search?size=1`)).total;
        if (total >= PERF) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      const loads = [];
      for (let i = 0; i < 3; i++) {
        const calls = [];
        const seen = (r) => r.url().includes("/api/") && calls.push(new URL(r.url()).pathname.replace(/^\/api\/v1\/main/, ""));
        page.on("request", seen);
        const t1 = Date.now();
        await page.goto(url("/executions?page=1"));
        await page.locator("[data-execution]").first().waitFor({ timeout: 60000 });
        const pageMs = Date.now() - t1;
        page.off("request", seen);
        const apiMs = await page.evaluate(() => window.__ksExecutionsLoadMs);
        loads.push({ pageMs, apiMs, apiCallsBeforeFirstRow: calls });
      }
      await shot("executions-10k");
      const t2 = Date.now();
      await page.click('[data-testid="next-page"]');
      await page.waitForFunction(() => location.search.includes("page=2"));
      await page.locator("[data-execution]").first().waitFor();
      return { executions: total, createMs: created, loads, nextPageMs: Date.now() - t2 };
    });
  }
  assert(consoleErrors.length === 0, `page errors: ${consoleErrors.join(" | ")}`);
} catch (e) {
  exitCode = 1;
  try {
    // not in the screenshots directory: a failure picture is not documentation
    const failure = join(tmpdir(), `ks-e2e-failure-${RUN}.png`);
    await page.screenshot({ path: failure });
    log({ failureScreenshot: failure });
  } catch {}
} finally {
  if (consoleErrors.length) log({ pageErrors: consoleErrors });
  log({ summary: results, ok: exitCode === 0 });
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
  process.exit(exitCode);
}
