/**
 * `npm test` type-checks before it builds and tests, and .ci/run reports a
 * failed type check as a failure. The package.json script runs under sh as
 * npm runs it, with tsc and bun replaced by stubs that log their arguments;
 * .ci/run runs from a copy with npm (and the Debian tools it checks for)
 * stubbed, so nothing is installed.
 */
import { describe, expect, test } from "bun:test";
import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, tempDir } from "../helpers/vbench.ts";

/** A directory of executable stubs: name → shell body. */
function stubs(bodies: Record<string, string>): string {
  const bin = tempDir("vbench-ci-bin-");
  for (const [name, body] of Object.entries(bodies)) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  return bin;
}

async function sh(script: string, cwd: string, bin: string): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn(["/bin/sh", "-c", script], { cwd, env: { PATH: `${bin}:/usr/bin:/bin` }, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, out: out + err };
}

describe("npm test", () => {
  const script = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { scripts: { test: string } }).scripts.test;
  const logging = (name: string, code: number) => `echo "${name} $*" >> "$CALLS"; exit ${code}`;

  test("a failing type check stops it before the build and the tests, with a non-zero exit", async () => {
    const dir = tempDir("vbench-ci-");
    const bin = stubs({ tsc: logging("tsc", 2), bun: logging("bun", 0) });
    const r = await sh(`CALLS=${dir}/calls; export CALLS; ${script}`, dir, bin);
    expect(r.code).not.toBe(0);
    expect(readFileSync(join(dir, "calls"), "utf8")).toBe("tsc --noEmit -p .\n");
  });

  test("a passing type check goes on to the build, then the tests", async () => {
    const dir = tempDir("vbench-ci-");
    const bin = stubs({ tsc: logging("tsc", 0), bun: logging("bun", 0) });
    const r = await sh(`CALLS=${dir}/calls; export CALLS; ${script}`, dir, bin);
    expect(r.code, r.out).toBe(0);
    expect(readFileSync(join(dir, "calls"), "utf8")).toBe("tsc --noEmit -p .\nbun build.ts\nbun test --timeout 120000\n");
  });
});

describe(".ci/run", () => {
  /** .ci/run in a scratch checkout, with `npm test` printing `output` and exiting `code`. */
  async function ciRun(output: string, code: number) {
    const checkout = tempDir("vbench-ci-checkout-");
    mkdirSync(join(checkout, ".ci"));
    cpSync(join(REPO, ".ci/run"), join(checkout, ".ci/run"));
    writeFileSync(join(checkout, "npm-test-output"), output);
    const present = "exit 0";
    const bin = stubs({
      npm: `[ "$1" = test ] || exit 0; cat "${join(checkout, "npm-test-output")}"; exit ${code}`,
      promtool: present,
      "prometheus-pushgateway": present,
      "clickhouse-server": present,
      chromium: present,
    });
    const r = await sh("bash .ci/run", checkout, bin);
    return { code: r.code, last: r.out.trim().split("\n").at(-1) };
  }

  test("a type error (npm test fails before bun test prints a count) is reported as a failure", async () => {
    const r = await ciRun("src/results/console-block.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.\n", 2);
    expect(r.last).toBe("0 passed, 1 failed");
    expect(r.code).not.toBe(0);
  });

  test("bun test's counts are reported with its exit code", async () => {
    expect(await ciRun("\n 12 pass\n 0 fail\nRan 12 tests across 3 files.\n", 0)).toEqual({ code: 0, last: "12 passed, 0 failed" });
    expect(await ciRun("\n 11 pass\n 1 fail\nRan 12 tests across 3 files.\n", 1)).toEqual({ code: 1, last: "11 passed, 1 failed" });
  });
});
