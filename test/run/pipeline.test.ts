/**
 * The run pipeline's own jobs, in-process: each server is asked for its
 * models once, Ctrl-C handling (the first signal aborts, the second answers
 * FORCED_EXIT without waiting for the body; the handlers are gone after),
 * and the outcome → exit code mapping every command shares.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resolveConfig } from "../../src/config/config.ts";
import { ExitCode } from "../../src/base/errors.ts";
import { Logger } from "../../src/base/log.ts";
import { FORCED_EXIT, RunPipeline, exitCodeFor } from "../../src/run/pipeline.ts";
import { builtinRegistry } from "../helpers/registry.ts";


describe("discovery", () => {
  let server: ReturnType<typeof Bun.serve>;
  let listings = 0;
  beforeAll(() => {
    server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req) {
        if (new URL(req.url).pathname !== "/v1/models") return new Response("no", { status: 404 });
        listings++;
        return Response.json({ object: "list", data: [{ id: "served-a", object: "model" }, { id: "served-b", object: "model" }] });
      },
    });
  });
  afterAll(() => server.stop(true));

  test("fills in the served model and asks each server once", async () => {
    const reg = builtinRegistry();
    const plan = resolveConfig({ flags: { base_url: `http://127.0.0.1:${server.port}` }, env: {}, select: [], plugins: [] }, reg);
    const scenario = plan.runs[0]!.scenario;
    const pipeline = new RunPipeline({ registry: reg, log: new Logger(), workers: 0 });
    const first = await pipeline.discover(scenario);
    const again = await pipeline.discover(scenario);
    expect(first.servedModel).toBe("served-a");
    expect(first.model).toBe("served-a");
    expect(again.servedModel).toBe("served-a");
    expect(listings).toBe(1);
    // Another wanted model is another question to the server.
    expect((await pipeline.discover({ ...scenario, servedModel: "served-b" })).servedModel).toBe("served-b");
    expect(listings).toBe(2);
  });
});

describe("Ctrl-C", () => {
  test("the first signal aborts; the second answers FORCED_EXIT without waiting for the body", async () => {
    const before = { int: process.listenerCount("SIGINT"), term: process.listenerCount("SIGTERM") };
    const pipeline = new RunPipeline({ registry: builtinRegistry(), log: new Logger(), workers: 0 });
    let release: () => void = () => {};
    const body = new Promise<string>((resolve) => (release = () => resolve("finished")));
    const running = pipeline.untilDone({ first: (s) => `${s}: stopping (test)`, again: (s) => `${s} again (test)` }, () => body);
    expect(pipeline.interrupted).toBe(false);
    process.emit("SIGINT");
    expect(pipeline.interrupted).toBe(true);
    expect(pipeline.signal.aborted).toBe(true);
    process.emit("SIGTERM");
    // The body never finished: the second signal alone ended the wait.
    expect(await running).toBe(FORCED_EXIT);
    release();
    expect(process.listenerCount("SIGINT")).toBe(before.int);
    expect(process.listenerCount("SIGTERM")).toBe(before.term);
  });

  test("one signal: the body finishes and its answer is returned", async () => {
    const pipeline = new RunPipeline({ registry: builtinRegistry(), log: new Logger(), workers: 0 });
    const answer = await pipeline.untilDone({ first: () => "stopping (test)" }, async () => {
      process.emit("SIGINT");
      return pipeline.signal.aborted ? "stopped early" : "ran to the end";
    });
    expect(answer).toBe("stopped early");
    expect(pipeline.interrupted).toBe(true);
  });
});

test("outcome → exit code: interrupted wins over a failed verdict", () => {
  expect(exitCodeFor({ interrupted: false, failed: false })).toBe(ExitCode.ok);
  expect(exitCodeFor({ interrupted: false, failed: true })).toBe(ExitCode.threshold);
  expect(exitCodeFor({ interrupted: true, failed: true })).toBe(ExitCode.interrupted);
});
