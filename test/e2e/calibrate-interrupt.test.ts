/**
 * `vbench calibrate` stopped by a signal goes through the run pipeline's
 * Ctrl-C handling like `run` and `search`: the level under way is cancelled,
 * its simulator stopped, the levels measured before it reported (none here)
 * and the exit code is 130. The signal goes to the calibrating process only
 * (as `kill` or a container runtime sends it), so the simulator child stops
 * because calibrate stops it, not because it was signalled too.
 */
import { expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BINARY, requireBinary, tempDir, truthSummary } from "../helpers/vbench.ts";

async function until(what: string, ready: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1500; i++) {
    if (await ready()) return;
    await Bun.sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

test("SIGTERM during a level: the level is dropped, its simulator stopped, exit 130 with the levels so far", async () => {
  requireBinary();
  const dir = tempDir("calibrate-int-");
  // One level of 2 streams, each 5 + 1999 × 5 ms ≈ 10 s long: the signal lands mid-level.
  const proc = Bun.spawn([BINARY, "calibrate", "--max-streams", "2", "--output-tokens", "2000", "--itl-ms", "5", "--ttft-ms", "5", "--output-dir", dir], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const stdout = new Response(proc.stdout).text();
  const stderr = new Response(proc.stderr).text();
  const levelConfig = join(dir, "streams_2", "calibrate.json");
  await until("the level's scenario file", () => existsSync(levelConfig));
  const url = (JSON.parse(readFileSync(levelConfig, "utf8")) as { scenarios: { base_url: string }[] }).scenarios[0]!.base_url;
  await until("a request at the simulator", async () => (await truthSummary(url)).requestsReceived >= 1);
  proc.kill("SIGTERM");
  expect(await proc.exited).toBe(130);
  expect(await stderr).toContain("interrupted: stopping the current level");
  const result = JSON.parse(await stdout) as { levels: unknown[]; ceilingStreams: number | null; interrupted?: boolean };
  expect(result).toMatchObject({ levels: [], ceilingStreams: null, interrupted: true });
  // The simulator child is gone: nothing listens at its URL any more.
  expect(await fetch(`${url}/v1/models`).then(() => "answered", () => "refused")).toBe("refused");
}, 60_000);
