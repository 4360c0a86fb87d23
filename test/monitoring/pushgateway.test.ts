/**
 * The pushgateway exporter against a real Prometheus Pushgateway (Debian's
 * prometheus-pushgateway, started by the test on 127.0.0.1): push, scrape the
 * gateway's /metrics back, and find every vbench family with its values.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { ExportContext } from "../../src/base/plugin-types.ts";
import type { ScenarioResult } from "../../src/base/scenario-types.ts";
import { pushgatewayPath, pushToGateway } from "../../src/monitoring/pushgateway.ts";
import pushgateway from "../../plugins/exporters/pushgateway.ts";
import { renderPrometheus } from "../../plugins/exporters/prometheus.ts";
import { sampleResult } from "../exporters/sample-result.ts";
import { startPushgateway, type TestServer } from "./servers.ts";
import { rejection } from "../helpers/errors.ts";

function ctx(options: Record<string, unknown>, logs: string[] = []): ExportContext {
  return { scenarioDir: "/nonexistent", outputDir: "/nonexistent", parsedDir: "/nonexistent", options, log: (m) => logs.push(m) };
}

const thrown = rejection;

/** Sample lines of the gateway's exposition: name → lines. */
async function scrape(url: string): Promise<string[]> {
  return (await (await fetch(`${url}/metrics`)).text()).split("\n").filter((l) => l.startsWith("vbench_"));
}

function families(text: string): string[] {
  return text.split("\n").filter((l) => l.startsWith("# TYPE ")).map((l) => l.split(" ")[2]!);
}

describe("pushgateway exporter against prometheus-pushgateway", () => {
  let gw: TestServer;
  let results: ScenarioResult[];

  beforeAll(async () => {
    gw = await startPushgateway();
    results = [sampleResult(), sampleResult({ variant: "c8" })];
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
  });

  test("preflight, push in finish(), and every vbench family arrives with its values", async () => {
    const logs: string[] = [];
    await pushgateway.preflight!(ctx({ url: gw.url }));
    for (const r of results) expect(await pushgateway.write(r, ctx({ url: gw.url }))).toEqual([]);
    const written = await pushgateway.finish!(results, ctx({ url: gw.url }, logs));
    expect(written).toEqual([`${gw.url}/metrics/job/vbench`]);
    expect(logs.join("\n")).toContain("Pushed metrics of 2 scenario run(s)");

    const lines = await scrape(gw.url);
    const names = new Set(lines.map((l) => l.replace(/[{ ].*$/, "").replace(/_(sum|count)$/, "")));
    for (const family of families(renderPrometheus(results))) expect(names).toContain(family);
    // The gateway adds job (and an empty instance) and sorts labels.
    const success = lines.filter((l) => l.startsWith("vbench_requests{") && l.includes('result="success"') && l.includes('job="vbench"'));
    expect(success).toHaveLength(2);
    expect(success.every((l) => l.endsWith(` ${results[0]!.summary.completed}`))).toBe(true);
    expect(lines.some((l) => l.startsWith("vbench_ttft_seconds{") && l.includes('quantile="0.95"') && l.includes('variant="c8"'))).toBe(true);
  });

  test("PUT replaces the group: a later push of one scenario leaves only that scenario", async () => {
    await pushgateway.finish!([sampleResult({ scenario: { name: "only_this" } })], ctx({ url: gw.url }));
    const lines = (await scrape(gw.url)).filter((l) => l.startsWith("vbench_run_info{") && l.includes('job="vbench"'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('scenario="only_this"');
  });

  test("grouping labels and job from the options; values the path cannot carry go as @base64", async () => {
    expect(pushgatewayPath("vbench", { instance: "ci/runner-3", empty: "" })).toBe("/metrics/job/vbench/instance@base64/Y2kvcnVubmVyLTM/empty@base64/=");
    await pushgateway.finish!([sampleResult()], ctx({ url: gw.url, job: "nightly", grouping: { instance: "ci/runner-3" } }));
    const info = (await scrape(gw.url)).filter((l) => l.startsWith("vbench_run_info{") && l.includes('job="nightly"'));
    expect(info).toHaveLength(1);
    expect(info[0]).toContain('instance="ci/runner-3"');
  });

  test("URL credentials become a header and never show in what is returned or thrown", async () => {
    const withCreds = gw.url.replace("http://", "http://bench:hunter2@");
    const pushed = await pushToGateway(withCreds, "creds", renderPrometheus([sampleResult()]));
    expect(pushed).toBe(`${gw.url}/metrics/job/creds`);
    const e = await thrown(pushToGateway("http://bench:hunter2@127.0.0.1:9", "creds", "x 1\n", { timeoutMs: 2000 }));
    expect(e.exitCode).toBe(5);
    expect(`${e.message} ${e.hint}`).not.toContain("hunter2");
  });

  test("the gateway's refusal is reported with its own words (exit 5)", async () => {
    const e = await thrown(pushToGateway(gw.url, "bad", "# TYPE x counter\nx{a=\"1\"} notanumber\n"));
    expect(e.exitCode).toBe(5);
    expect(e.message).toContain("HTTP 400");
  });

  test("preflight: no URL is a config error (2), an unreachable gateway a preflight error (3), PUSHGATEWAY_URL works", async () => {
    const saved = process.env.PUSHGATEWAY_URL;
    try {
      delete process.env.PUSHGATEWAY_URL;
      const none = await thrown(pushgateway.preflight!(ctx({})));
      expect(none.exitCode).toBe(2);
      expect(none.hint).toContain("PUSHGATEWAY_URL");
      const down = await thrown(pushgateway.preflight!(ctx({ url: "http://127.0.0.1:9" })));
      expect(down.exitCode).toBe(3);
      expect(down.message).toContain("http://127.0.0.1:9");
      const bad = await thrown(pushgateway.preflight!(ctx({ url: gw.url, grouping: { "bad-name": "x" } })));
      expect(bad.exitCode).toBe(2);
      process.env.PUSHGATEWAY_URL = gw.url;
      await pushgateway.preflight!(ctx({}));
      expect(await pushgateway.finish!([sampleResult()], ctx({ job: "from_env" }))).toEqual([`${gw.url}/metrics/job/from_env`]);
    } finally {
      if (saved === undefined) delete process.env.PUSHGATEWAY_URL;
      else process.env.PUSHGATEWAY_URL = saved;
    }
  });
});
