/**
 * docker/vllm-benchmark.Dockerfile stays minimal and obviously right, and
 * agrees with what the entrypoint tests run (they read the same parse).
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { RUN_FLAGS } from "../../src/config/cli-flags.ts";
import { ENV_TO_KEY } from "../../src/config/config.ts";
import { REPO, vbench } from "../helpers/vbench.ts";
import { DOCKERFILE, finalImage, parseDockerfile } from "./dockerfile.ts";

/** The seed's container interface (seed/vllm-benchmark-api.md, spec/config.md). */
const SEED_VARIABLES = ["MODEL_ENDPOINT", "CONFIG_PATH", "OUTPUT_DIR", "PARSED_DIR", "REQUEST_RATE", "MODEL_NAME", "SERVED_MODEL_NAME", "TOKENIZER", "CONCURRENCY_LEVELS", "DURATION"];

describe("docker/vllm-benchmark.Dockerfile", () => {
  const stages = parseDockerfile();
  const image = finalImage(stages);

  test("two stages: build the binary with the locked toolchain, ship it on a slim base", () => {
    expect(stages).toHaveLength(2);
    const [build] = stages;
    expect(build!.name).toBe("build");
    const runs = build!.instructions.filter((i) => i.op === "RUN").map((i) => i.args);
    expect(runs).toEqual(["npm ci --no-audit --no-fund", "npx bun build.ts"]);
    expect(build!.instructions.find((i) => i.op === "WORKDIR")?.args).toBe("/src");
    expect(image.base).toBe("debian:bookworm-slim");
  });

  test("the final image holds only the binary and the default config, runs `vbench run`, with the seed's directories", () => {
    expect(image.entrypoint).toEqual(["/usr/local/bin/vbench", "run"]);
    expect(image.workdir).toBe("/app");
    expect(image.env).toEqual({ OUTPUT_DIR: "/app/results", PARSED_DIR: "/app/parsed", CONFIG_PATH: "/app/configs/vllm_benchmark.json" });
    // build.ts writes dist/vbench (relative to the build stage's WORKDIR /src) unless VBENCH_OUTFILE is set.
    expect(readFileSync(join(REPO, "build.ts"), "utf8")).toContain('process.env.VBENCH_OUTFILE ?? "dist/vbench"');
    expect(image.copies).toEqual([
      { from: "build", src: "/src/dist/vbench", dest: "/usr/local/bin/vbench" },
      { src: "configs/vllm_benchmark.json", dest: "/app/configs/vllm_benchmark.json" },
    ]);
    expect(stages[1]!.instructions.filter((i) => i.op === "RUN")).toEqual([]);
  });

  test("everything the build stage copies exists and is not excluded by the Dockerfile's .dockerignore", () => {
    const ignore = readFileSync(`${DOCKERFILE}.dockerignore`, "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
    const sources = stages[0]!.instructions.filter((i) => i.op === "COPY").flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources).toEqual(expect.arrayContaining(["package.json", "package-lock.json", "src", "plugins", "build.ts"]));
    for (const src of [...sources, "configs/vllm_benchmark.json"]) {
      expect(existsSync(join(REPO, src))).toBe(true);
      expect(ignore).not.toContain(src);
    }
    expect(ignore).toEqual(expect.arrayContaining(["node_modules", "dist"]));
  });

  test("the baked-in config is the seed's file and validates", async () => {
    const seed = JSON.parse(readFileSync(join(REPO, "configs/vllm_benchmark.json"), "utf8"));
    expect(seed.scenarios.map((s: { name: string }) => s.name)).toEqual(["basic_performance"]);
    const r = await vbench(["validate"], { env: { CONFIG_PATH: "configs/vllm_benchmark.json" } });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).runs[0].name).toBe("basic_performance");
  });

  test("`vbench run` itself reads every seed variable (no entrypoint script needed)", () => {
    const read = new Set([...RUN_FLAGS.flatMap((f) => (f.env ? [f.env] : [])), ...Object.keys(ENV_TO_KEY)]);
    for (const name of SEED_VARIABLES) expect(read).toContain(name);
    expect(existsSync(join(REPO, "docker/entrypoint.sh"))).toBe(false);
  });
});
