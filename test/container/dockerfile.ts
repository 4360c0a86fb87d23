/**
 * Reads docker/vllm-benchmark.Dockerfile and runs its final stage's
 * ENTRYPOINT the way the container would, without a Docker engine: the
 * compiled binary, the image's ENV, WORKDIR and baked-in files, with every
 * container path re-rooted under a scratch folder (the "image root"). The
 * tests run exactly what the Dockerfile says, so the two cannot drift.
 */
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { BINARY, REPO, requireBinary, tempDir, type RunOutput } from "../helpers/vbench.ts";

export const DOCKERFILE = join(REPO, "docker/vllm-benchmark.Dockerfile");

export interface Stage {
  from: string;
  name?: string;
  instructions: { op: string; args: string }[];
}

/** Instructions per stage; comments dropped, `\` continuations joined. */
export function parseDockerfile(text = readFileSync(DOCKERFILE, "utf8")): Stage[] {
  const logical = text.replace(/\\\n/g, " ").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, op, args] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (!op) throw new Error(`cannot parse Dockerfile line: ${line}`);
    if (op.toUpperCase() === "FROM") {
      const [from, as, name] = args!.split(/\s+/);
      stages.push({ from: from!, name: as?.toUpperCase() === "AS" ? name : undefined, instructions: [] });
    } else {
      stages.at(-1)!.instructions.push({ op: op.toUpperCase(), args: args!.trim() });
    }
  }
  return stages;
}

export interface FinalImage {
  base: string;
  entrypoint: string[];
  env: Record<string, string>;
  workdir: string;
  /** COPY instructions: `from` is a stage name, or undefined for the build context. */
  copies: { from?: string; src: string; dest: string }[];
}

export function finalImage(stages = parseDockerfile()): FinalImage {
  const stage = stages.at(-1)!;
  const image: FinalImage = { base: stage.from, entrypoint: [], env: {}, workdir: "/", copies: [] };
  for (const { op, args } of stage.instructions) {
    if (op === "ENTRYPOINT") image.entrypoint = JSON.parse(args) as string[];
    else if (op === "WORKDIR") image.workdir = args;
    else if (op === "ENV") for (const m of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) image.env[m[1]!] = m[2]!.replace(/^"|"$/g, "");
    else if (op === "COPY") {
      const parts = args.split(/\s+/);
      const from = parts[0]!.startsWith("--from=") ? parts.shift()!.slice("--from=".length) : undefined;
      image.copies.push({ from, src: parts[0]!, dest: parts[1]! });
    }
  }
  return image;
}

/** Environment variables whose values are container paths (re-rooted under the image root). */
const PATH_VARS = new Set(["OUTPUT_DIR", "PARSED_DIR", "CONFIG_PATH", "TOKENIZER"]);

export class ImageRoot {
  readonly root = tempDir("vbench-image-");
  readonly image = finalImage();

  constructor() {
    // Files baked in from the build context, as the final stage's COPY lines place them.
    for (const c of this.image.copies) {
      if (c.from !== undefined) continue;
      mkdirSync(dirname(this.path(c.dest)), { recursive: true });
      copyFileSync(join(REPO, c.src), this.path(c.dest));
    }
    mkdirSync(this.path(this.image.workdir), { recursive: true });
  }

  /** A container path → where it lives here. */
  path(containerPath: string): string {
    return join(this.root, containerPath);
  }

  /** `docker run -v host:containerPath`: copy a file into the image root. */
  mount(hostFile: string, containerPath: string): string {
    mkdirSync(dirname(this.path(containerPath)), { recursive: true });
    copyFileSync(hostFile, this.path(containerPath));
    return containerPath;
  }

  /**
   * `docker run -e K=V ... image [args]`: the ENTRYPOINT with the image's ENV
   * overridden by `env`. `command` swaps the entrypoint's subcommand (`run`)
   * for another, e.g. `validate` to resolve a heavy run without sending it.
   */
  async run(env: Record<string, string>, args: string[] = [], options: { command?: string; timeoutMs?: number } = {}): Promise<RunOutput> {
    requireBinary();
    const [entry, ...defaultArgs] = this.image.entrypoint;
    if (entry !== "/usr/local/bin/vbench") throw new Error(`unexpected ENTRYPOINT binary ${entry}`);
    const entryArgs = options.command ? [options.command, ...defaultArgs.slice(1)] : defaultArgs;
    const merged: Record<string, string> = { ...this.image.env, ...env };
    const full: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: this.root };
    for (const [k, v] of Object.entries(merged)) full[k] = PATH_VARS.has(k) && v.startsWith("/") ? this.path(v) : v;
    const proc = Bun.spawn([BINARY, ...entryArgs, ...args], { cwd: this.path(this.image.workdir), env: full, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
    const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    clearTimeout(timer);
    return { code, stdout, stderr };
  }
}
