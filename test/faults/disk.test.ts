/**
 * Disk trouble. Preflight catches an output directory that cannot be created
 * or written before any request (exit 2); a write that fails during the run
 * is a clear error with exit 5 that keeps what was written before it; a full
 * disk (/dev/full gives ENOSPC) reaches the record log as a VbenchError.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { parseFault } from "../../src/mock/faults.ts";
import { RecordLog } from "../../src/results/record-log.ts";
import { ExitCode, VbenchError } from "../../src/base/errors.ts";
import { sampleRecord as record } from "../helpers/records.ts";
import { startMock, tempDir, truthSummary, vbench, writeConfig, sharedMock } from "../helpers/vbench.ts";
import { ownedByRunner, unprivileged } from "../helpers/unprivileged.ts";
import { OTHER_CASES } from "./cases.ts";
import { filesUnder, findFile, matrixScenario } from "./harness.ts";

const exitOf = (id: string) => OTHER_CASES.find((c) => c.id === id)!.exit;

describe("output directories at preflight", () => {
  const mock = sharedMock({ ttftMs: 2, itlMs: 1 });

  async function runWith(dirs: string[], wrap?: (cmd: string[]) => string[]) {
    const dir = tempDir("vbench-disk-");
    chmodSync(dir, 0o755); // readable by the unprivileged user of the permission test
    const config = await writeConfig(dir, [matrixScenario()], { exporters: ["json"] });
    const before = (await truthSummary(mock.url)).requestsReceived;
    const r = await vbench(["run", "--config", config, "--base-url", mock.url, ...dirs], { wrap });
    return { ...r, sent: (await truthSummary(mock.url)).requestsReceived - before };
  }

  test("an output directory below a regular file: exit 2 naming it, nothing sent", async () => {
    const dir = tempDir("vbench-disk-");
    writeFileSync(join(dir, "file"), "x");
    const out = join(dir, "file", "results");
    const r = await runWith(["--output-dir", out]);
    expect(r.code).toBe(exitOf("output-not-dir"));
    expect(r.stderr).toContain(`output directory ${out} is not usable`);
    expect(r.stderr).toContain("is a file, not a directory");
    expect(r.sent).toBe(0);
  });

  test("a parsed directory below a regular file: exit 2, nothing sent", async () => {
    const dir = tempDir("vbench-disk-");
    writeFileSync(join(dir, "file"), "x");
    const parsed = join(dir, "file", "parsed");
    const r = await runWith(["--output-dir", join(dir, "out"), "--parsed-dir", parsed]);
    expect(r.code).toBe(ExitCode.config);
    expect(r.stderr).toContain(`output directory ${parsed} is not usable`);
    expect(r.sent).toBe(0);
  });

  test("a directory without write permission: exit 2, nothing sent (run as nobody when the tests run as root)", async () => {
    const dir = tempDir("vbench-disk-");
    chmodSync(dir, 0o755);
    const locked = join(dir, "locked");
    mkdirSync(locked);
    ownedByRunner(locked, 0o500);
    const r = await runWith(["--output-dir", locked], unprivileged);
    expect(r.code).toBe(ExitCode.config);
    expect(r.stderr).toContain("No permission to write");
    expect(r.sent).toBe(0);
  });

  test("a missing output directory (and its missing parents) is created", async () => {
    const out = join(tempDir("vbench-disk-"), "a", "b", "c");
    const r = await runWith(["--output-dir", out]);
    expect(r.code).toBe(exitOf("output-missing"));
    expect(findFile(filesUnder(out), "benchmark_results.json")).toBeDefined();
  });
});

describe("a write that fails during the run", () => {
  test("the parsed directory replaced by a file mid-run: exit 5 with the path and a hint; the scenario's results stay", async () => {
    // Request 1 holds its headers back 1.5 s: time to break the parsed directory after preflight probed it.
    const mock = await startMock({ ttftMs: 2, itlMs: 1, faults: [parseFault("slow-headers=1500@at:1")] });
    try {
      const dir = tempDir("vbench-disk-");
      const out = join(dir, "out");
      const parsed = join(dir, "parsed");
      const config = await writeConfig(dir, [{ ...matrixScenario(), num_prompts: 1 }], { exporters: ["json"] });
      const running = vbench(["run", "--config", config, "--base-url", mock.url, "--output-dir", out, "--parsed-dir", parsed]);
      for (let i = 0; i < 1500 && (await truthSummary(mock.url)).requestsReceived < 2; i++) await Bun.sleep(10);
      expect((await truthSummary(mock.url)).requestsReceived).toBe(2);
      rmSync(parsed, { recursive: true, force: true });
      writeFileSync(parsed, "not a directory");
      const r = await running;
      expect(r.code).toBe(exitOf("write-fails"));
      expect(r.stderr).toContain(`cannot write ${parsed}/`);
      expect(r.stderr).toContain("hint: A part of");
      expect(r.stderr).not.toContain("internal error");
      const files = filesUnder(out);
      const results = JSON.parse(readFileSync(findFile(files, "benchmark_results.json")!, "utf8"));
      expect(results.completed).toBe(1);
      expect(readFileSync(findFile(files, "requests.jsonl")!, "utf8").trim().split("\n")).toHaveLength(1);
    } finally {
      await mock.stop();
    }
  }, 30_000);
});

describe("a full disk under the record log (ENOSPC from /dev/full)", () => {
  test.skipIf(!existsSync("/dev/full"))("close() reports it as an io error (exit 5) with the disk-full hint", async () => {
    const log = new RecordLog();
    await log.open("/dev/full");
    log.add(record(0));
    log.add(record(1));
    let caught: unknown;
    await log.close().catch((e: unknown) => (caught = e));
    expect(caught).toBeInstanceOf(VbenchError);
    const e = caught as VbenchError;
    expect(e.exitCode).toBe(ExitCode.io);
    expect(e.message).toContain("cannot write /dev/full");
    expect(e.hint).toContain("disk is full");
  });

  test.skipIf(!existsSync("/dev/full"))("flush() (the second Ctrl-C path) reports it too, and later records do not hide it", async () => {
    const log = new RecordLog();
    await log.open("/dev/full");
    log.add(record(0));
    const first = await log.flush().then(() => null, (e: unknown) => e);
    expect(first).toBeInstanceOf(VbenchError);
    log.add(record(1));
    const again = await log.flush().then(() => null, (e: unknown) => e);
    expect((again as VbenchError).exitCode).toBe(ExitCode.io);
    await log.close().catch(() => undefined);
  });
});
