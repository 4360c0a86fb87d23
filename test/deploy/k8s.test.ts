/**
 * The Kubernetes manifests of a sharded run, validated offline against
 * Kubernetes' schema (the kubernetes-models package's validators), as
 * `vbench k8s-job` prints them with the README's commands and as they are
 * kept in deploy/k8s/.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Job } from "kubernetes-models/batch/v1/Job";
import { REPO, tempDir, vbench, writeConfig } from "../helpers/vbench.ts";
import { docBlock } from "../container/doc-blocks.ts";

type Doc = Record<string, any>;

function parseStream(text: string): Doc[] {
  const docs = parseAllDocuments(text);
  for (const d of docs) expect(d.errors).toEqual([]);
  return docs.map((d) => d.toJS() as Doc);
}

/** Kubernetes' schema for the kind, by the kubernetes-models validators; throws on the first violation. */
function validate(doc: Doc): void {
  const model = { ConfigMap, Job, PersistentVolumeClaim }[doc.kind as "ConfigMap" | "Job" | "PersistentVolumeClaim"];
  if (!model) throw new Error(`no schema for kind ${doc.kind}`);
  expect(doc.apiVersion).toBe(doc.kind === "Job" ? "batch/v1" : "v1");
  new model(doc as never).validate();
}

/** deploy/k8s's examples: the README's command with a fixed common start instead of --start-in. */
const EXAMPLE_ARGS = ["k8s-job", "--shards", "3", "--config", "configs/sharded.json", "--image", "vbench:0.1.0", "--run-id", "bench-1", "--start-at", "2026-12-02T18:00:00Z", "--base-url", "http://vllm.default.svc:8000"];
const README_ARGS = EXAMPLE_ARGS;

/** The `vbench k8s-job` commands of the README's Kubernetes block, as argument lists (kubectl is not here). */
function readmeCommands(): string[][] {
  const lines = docBlock("shards-k8s").replace(/\\\n\s*/g, "").split("\n");
  return lines.filter((l) => l.startsWith("vbench k8s-job")).map((l) => l.replace(/\|.*$/, "").trim().split(/\s+/).slice(1));
}

describe("vbench k8s-job", () => {
  test("prints a ConfigMap with the scenario file byte for byte and an Indexed Job that passes Kubernetes' schema", async () => {
    const out = await vbench(README_ARGS);
    expect(out.code).toBe(0);
    const docs = parseStream(out.stdout);
    expect(docs.map((d) => d.kind)).toEqual(["ConfigMap", "Job"]);
    for (const d of docs) validate(d);
    const [cm, job] = docs as [Doc, Doc];
    expect(cm.data["scenario.json"]).toBe(readFileSync(join(REPO, "configs/sharded.json"), "utf8"));
    expect(job.spec).toMatchObject({ completionMode: "Indexed", completions: 3, parallelism: 3, backoffLimit: 0 });
    const pod = job.spec.template.spec;
    const term = pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0];
    expect(term.topologyKey).toBe("kubernetes.io/hostname");
    // The anti-affinity selects the Job's own pods: no two shards on one node.
    expect(job.spec.template.metadata.labels).toMatchObject(term.labelSelector.matchLabels);
    const env = Object.fromEntries(pod.containers[0].env.map((e: Doc) => [e.name, e.value ?? e.valueFrom.fieldRef.fieldPath]));
    expect(env).toEqual({ JOB_COMPLETION_INDEX: "metadata.annotations['batch.kubernetes.io/job-completion-index']", VBENCH_SHARDS: "3", VBENCH_RUN_ID: "bench-1", VBENCH_START_AT: "2026-12-02T18:00:00.000Z" });
    expect(pod.containers[0].args).toContain("/results/bench-1/shard-$(JOB_COMPLETION_INDEX)");
    expect(pod.volumes.map((v: Doc) => v.configMap?.name ?? v.persistentVolumeClaim?.claimName)).toEqual([cm.metadata.name, "vbench-results"]);
    expect(out.stderr).toContain("kubectl wait --for=condition=complete job/vbench-bench-1");
  });

  test("--merge prints the merge Job over every shard folder", async () => {
    const out = await vbench([...README_ARGS, "--merge", "--allow-partial"]);
    expect(out.code).toBe(0);
    const docs = parseStream(out.stdout);
    expect(docs.map((d) => d.kind)).toEqual(["Job"]);
    validate(docs[0]!);
    const c = docs[0]!.spec.template.spec.containers[0];
    expect([...c.command, ...c.args]).toEqual(["/usr/local/bin/vbench", "merge", "/results/bench-1/shard-0", "/results/bench-1/shard-1", "/results/bench-1/shard-2", "--output-dir", "/results/bench-1/merged", "--allow-partial"]);
  });

  test("the README's commands print manifests that pass the schema, and name the Jobs its kubectl lines wait for", async () => {
    const [shardsCmd, mergeCmd] = readmeCommands() as [string[], string[]];
    expect(mergeCmd).toContain("--merge");
    const block = docBlock("shards-k8s");
    const jobs: string[] = [];
    for (const args of [shardsCmd, mergeCmd]) {
      const out = await vbench(args);
      expect(out.code).toBe(0);
      for (const doc of parseStream(out.stdout)) {
        validate(doc);
        if (doc.kind === "Job") jobs.push(doc.metadata.name);
      }
    }
    expect(jobs).toEqual(["vbench-bench-1", "vbench-bench-1-merge"]);
    for (const name of jobs) expect(block).toContain(`job/${name}`);
    expect(block).toContain("deploy/k8s/results-pvc.yaml");
  });

  test("--start-in sets the common start that far from now, in whole seconds", async () => {
    const before = Date.now();
    const out = await vbench(["k8s-job", "--shards", "2", "--config", "configs/demo.json", "--image", "i", "--start-in", "90s"]);
    const after = Date.now();
    expect(out.code).toBe(0);
    const job = parseStream(out.stdout)[1]!;
    const start = job.spec.template.spec.containers[0].env.find((e: Doc) => e.name === "VBENCH_START_AT").value as string;
    expect(start).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(start)).toBeGreaterThanOrEqual(before + 90_000);
    expect(Date.parse(start)).toBeLessThanOrEqual(after + 91_000);
  });

  test("refuses what a shard would refuse: several planned runs, fewer slots than shards", async () => {
    const dir = tempDir();
    const two = await writeConfig(dir, [{ name: "a" }, { name: "b" }]);
    const several = await vbench(["k8s-job", "--shards", "2", "--config", two, "--image", "i"]);
    expect(several.code).toBe(2);
    expect(several.stderr).toContain("--scenario");
    const one = await vbench(["k8s-job", "--shards", "2", "--config", two, "--image", "i", "--scenario", "b"]);
    expect(one.code).toBe(0);
    const narrow = await writeConfig(dir, [{ name: "a", max_concurrency: 2 }]);
    const slots = await vbench(["k8s-job", "--shards", "3", "--config", narrow, "--image", "i"]);
    expect(slots.code).toBe(2);
    expect(slots.stderr).toContain("max_concurrency 2 cannot be split over 3 shards");
  });
});

describe("deploy/k8s", () => {
  const dir = join(REPO, "deploy/k8s");
  const files = readdirSync(dir).filter((f) => f.endsWith(".yaml"));

  test("every manifest passes Kubernetes' schema", () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) for (const doc of parseStream(readFileSync(join(dir, f), "utf8"))) validate(doc);
  });

  test("the examples are what the README's commands print", async () => {
    expect(readFileSync(join(dir, "example-shards.yaml"), "utf8")).toBe((await vbench(README_ARGS)).stdout);
    expect(readFileSync(join(dir, "example-merge.yaml"), "utf8")).toBe((await vbench([...README_ARGS, "--merge"])).stdout);
  });
});

describe("the checks themselves", () => {
  test("the schema check rejects a misspelt enum, a wrong type and a missing required field", async () => {
    const [, job] = parseStream((await vbench(README_ARGS)).stdout) as [Doc, Doc];
    const broken = (edit: (j: Doc) => void) => {
      const copy = structuredClone(job);
      edit(copy);
      return () => validate(copy);
    };
    expect(broken((j) => (j.spec.completionMode = "indexed"))).toThrow("completionMode");
    expect(broken((j) => (j.spec.completions = "3"))).toThrow("completions");
    expect(broken((j) => delete j.spec.template.spec.containers[0].name)).toThrow("name");
  });

  test("the YAML writer keeps every string a string, and text byte for byte", async () => {
    const { toYaml } = await import("../../src/deploy/yaml.ts");
    const values = { a: "3", b: "true", c: "null", d: "# not a comment", e: "x: y", f: "two\nlines\n", g: "no final newline\nhere", h: "two finals\n\n", i: "  indented\nfirst\n", j: "", k: [["nested"], { l: 1 }], m: {}, n: [] };
    expect(parseAllDocuments(toYaml(values))[0]!.toJS()).toEqual(values);
  });
});
