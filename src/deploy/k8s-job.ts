/**
 * Kubernetes manifests for a sharded run (docs/sharding.md):
 *
 * - a ConfigMap holding the scenario file;
 * - an Indexed Job of N pods (completions = parallelism = N), each running
 *   `vbench run` as shard JOB_COMPLETION_INDEX of VBENCH_SHARDS=N with the
 *   shared run id and common start, spread over nodes by pod anti-affinity,
 *   writing to its own folder of a shared volume;
 * - a merge Job, applied after the Indexed Job completed, that runs
 *   `vbench merge` over the shard folders.
 *
 * The object types come from the kubernetes-models package (types only, so the
 * compiled binary does not carry it): an unknown or misspelt field is a
 * compile error, and the test suite validates the printed manifests against
 * Kubernetes' schema.
 */
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IJob } from "kubernetes-models/batch/v1/Job";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";

export interface K8sJobOptions {
  shards: number;
  runId: string;
  /** The common start, RFC 3339 UTC. */
  startAtIso: string;
  image: string;
  /** The scenario file's text, stored in the ConfigMap. */
  configText: string;
  /** PersistentVolumeClaim shared by every pod (ReadWriteMany): the shards write, the merge reads. */
  resultsClaim: string;
  namespace?: string;
  /** --scenario for the shards (a common start serves one scenario). */
  scenario?: string;
  /** MODEL_ENDPOINT for the shards, when the scenario file's base_url is not the one to use. */
  baseUrl?: string;
  /** "required": at most one shard per node (default); "preferred": spread when the cluster can. */
  spread: "required" | "preferred";
  /** The merge Job merges whatever shards left results (a shard pod failed). */
  allowPartial?: boolean;
}

/** Where the ConfigMap and the results volume are mounted in every pod. */
export const CONFIG_MOUNT = "/config";
export const CONFIG_KEY = "scenario.json";
export const RESULTS_MOUNT = "/results";
/** The image's binary (docker/vllm-benchmark.Dockerfile). */
const VBENCH = "/usr/local/bin/vbench";

/** A DNS-1123 label from the run id (object names and label values). */
export function k8sName(runId: string): string {
  return `vbench-${runId.toLowerCase().replace(/[^a-z0-9-]+/g, "-")}`.slice(0, 63).replace(/-+$/, "");
}

/** The folder of shard `index` (or "$(JOB_COMPLETION_INDEX)") on the results volume. */
export function shardFolder(runId: string, index: number | string): string {
  return `${RESULTS_MOUNT}/${runId}/shard-${index}`;
}

export function mergedFolder(runId: string): string {
  return `${RESULTS_MOUNT}/${runId}/merged`;
}

function labels(o: K8sJobOptions): Record<string, string> {
  return { "app.kubernetes.io/name": "vbench", "vbench/run": k8sName(o.runId) };
}

function metadata(o: K8sJobOptions, name: string) {
  return { name, ...(o.namespace ? { namespace: o.namespace } : {}), labels: labels(o) };
}

export function configMap(o: K8sJobOptions): IConfigMap {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: metadata(o, `${k8sName(o.runId)}-scenario`), data: { [CONFIG_KEY]: o.configText } };
}

function podSpec(o: K8sJobOptions, container: IPodSpec["containers"][number], extra: Partial<IPodSpec> = {}): IPodSpec {
  return {
    restartPolicy: "Never",
    ...extra,
    containers: [container],
    volumes: [
      { name: "scenario", configMap: { name: `${k8sName(o.runId)}-scenario` } },
      { name: "results", persistentVolumeClaim: { claimName: o.resultsClaim } },
    ],
  };
}

const mounts = [
  { name: "scenario", mountPath: CONFIG_MOUNT, readOnly: true },
  { name: "results", mountPath: RESULTS_MOUNT },
];

/** The Indexed Job: shard i of N is the pod with completion index i. */
export function shardJob(o: K8sJobOptions): IJob {
  const term = { labelSelector: { matchLabels: labels(o) }, topologyKey: "kubernetes.io/hostname" };
  const antiAffinity = o.spread === "required" ? { requiredDuringSchedulingIgnoredDuringExecution: [term] } : { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] };
  const folder = shardFolder(o.runId, "$(JOB_COMPLETION_INDEX)");
  const args = ["--config", `${CONFIG_MOUNT}/${CONFIG_KEY}`, "--output-dir", folder, "--parsed-dir", `${folder}/parsed`, ...(o.scenario ? ["--scenario", o.scenario] : []), ...(o.baseUrl ? ["--base-url", o.baseUrl] : [])];
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: metadata(o, k8sName(o.runId)),
    spec: {
      completionMode: "Indexed",
      completions: o.shards,
      parallelism: o.shards,
      // A restarted shard would start after the common start and refuse: do not retry.
      backoffLimit: 0,
      template: {
        metadata: { labels: labels(o) },
        spec: podSpec(
          o,
          {
            name: "vbench",
            image: o.image,
            command: [VBENCH, "run"],
            args,
            env: [
              // Set by the Job controller too; declared here so $(JOB_COMPLETION_INDEX) in args is expanded.
              { name: "JOB_COMPLETION_INDEX", valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } },
              { name: "VBENCH_SHARDS", value: String(o.shards) },
              { name: "VBENCH_RUN_ID", value: o.runId },
              { name: "VBENCH_START_AT", value: o.startAtIso },
            ],
            volumeMounts: mounts,
          },
          { affinity: { podAntiAffinity: antiAffinity } },
        ),
      },
    },
  };
}

/** The merge Job: one pod running `vbench merge` over every shard folder, after the Indexed Job completed. */
export function mergeJob(o: K8sJobOptions): IJob {
  const dirs = Array.from({ length: o.shards }, (_, i) => shardFolder(o.runId, i));
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: metadata(o, `${k8sName(o.runId)}-merge`),
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels: labels(o) },
        spec: podSpec(o, { name: "merge", image: o.image, command: [VBENCH, "merge"], args: [...dirs, "--output-dir", mergedFolder(o.runId), ...(o.allowPartial ? ["--allow-partial"] : [])], volumeMounts: mounts }),
      },
    },
  };
}
