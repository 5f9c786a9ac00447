import { afterEach, describe, expect, it, vi } from "vitest";
import { mount, flushPromises } from "@vue/test-utils";
import { nextTick, reactive } from "vue";
import InputsForm from "./InputsForm.vue";
import TopologyGraph from "./TopologyGraph.vue";
import GanttChart from "./GanttChart.vue";
import StateBadge from "./StateBadge.vue";
import { request, setUnauthorizedHandler, ApiError } from "../api/client";

describe("InputsForm", () => {
  it("renders one field per input type and shows server errors", async () => {
    const inputs: any[] = [
      { id: "name", type: "STRING" },
      { id: "n", type: "INT" },
      { id: "ok", type: "BOOL" },
      { id: "env", type: "SELECT", values: ["dev", "prod"] },
      { id: "region", type: "STRING", dependsOn: { inputs: ["env"] } },
      { id: "doc", type: "FILE" },
      { id: "when", type: "DATE" },
    ];
    const values: any = reactive({ name: "", n: "", ok: undefined, env: "", region: "", doc: null, when: "" });
    const w = mount(InputsForm, { props: { inputs, modelValue: values, errors: { n: ["Invalid input for `n`"] } } });
    expect(w.find('input[name="n"]').attributes("type")).toBe("number");
    expect(w.find('input[name="doc"]').attributes("type")).toBe("file");
    expect(w.find('input[name="when"]').attributes("type")).toBe("date");
    expect(w.findAll('select[name="env"] option').map((o) => o.text())).toEqual(["—", "dev", "prod"]);
    expect(w.find('[data-input="region"]').exists()).toBe(false);
    expect(w.find('[data-testid="input-error"]').text()).toBe("Invalid input for `n`");
    await w.find('select[name="env"]').setValue("prod");
    await nextTick();
    expect(w.find('[data-input="region"]').exists()).toBe(true);
  });
});

describe("TopologyGraph / Gantt / badge", () => {
  it("draws nodes coloured by state", () => {
    const w = mount(TopologyGraph, {
      props: { source: "id: f\nnamespace: n\ntasks:\n  - id: a\n    type: x.Log\n  - id: b\n    type: x.Log\n", states: { a: "SUCCESS", b: "RUNNING" } },
    });
    expect(w.findAll("[data-node]").length).toBe(4);
    expect(w.find('[data-node="a"]').attributes("data-state")).toBe("SUCCESS");
  });
  it("gantt rows with attempts", () => {
    const ex: any = {
      id: "e", namespace: "n", flowId: "f",
      state: { current: "SUCCESS", startDate: "2026-01-01T00:00:00Z", endDate: "2026-01-01T00:00:10Z" },
      taskRunList: [{ id: "t1", taskId: "a", state: { current: "SUCCESS", startDate: "2026-01-01T00:00:00Z", endDate: "2026-01-01T00:00:05Z" },
        attempts: [{ state: { current: "FAILED", startDate: "2026-01-01T00:00:00Z", endDate: "2026-01-01T00:00:02Z" } },
                   { state: { current: "SUCCESS", startDate: "2026-01-01T00:00:03Z", endDate: "2026-01-01T00:00:05Z" } }] }],
    };
    const w = mount(GanttChart, { props: { execution: ex } });
    expect(w.findAll('[data-testid="gantt-attempt"]').length).toBe(2);
    expect(w.find(".gantt-row").attributes("data-state")).toBe("SUCCESS");
    w.unmount();
  });
  it("state badge", () => {
    expect(mount(StateBadge, { props: { state: "FAILED" } }).attributes("data-state")).toBe("FAILED");
  });
});

describe("api client", () => {
  afterEach(() => vi.unstubAllGlobals());
  it("calls the unauthorized handler on 401 and maps errors", async () => {
    const seen: number[] = [];
    setUnauthorizedHandler(() => seen.push(1));
    vi.stubGlobal("fetch", vi.fn(async () => new Response("", { status: 401 })));
    await expect(request("/api/v1/main/flows/search")).rejects.toBeInstanceOf(ApiError);
    expect(seen).toEqual([1]);
    vi.stubGlobal("fetch", vi.fn(async () => new Response(JSON.stringify({ message: "Flow is disabled" }), { status: 409, headers: { "content-type": "application/json" } })));
    await expect(request("/x")).rejects.toMatchObject({ status: 409, message: "Flow is disabled" });
    vi.stubGlobal("fetch", vi.fn(async () => new Response(JSON.stringify({ results: [], total: 0 }), { headers: { "content-type": "application/json" } })));
    expect(await request("/x")).toEqual({ results: [], total: 0 });
    await flushPromises();
  });
});
