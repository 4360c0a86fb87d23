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

function labels(job: K8sJobOptions): Record<string, string> {
  return { "app.kubernetes.io/name": "vbench", "vbench/run": k8sName(job.runId) };
}

function metadata(job: K8sJobOptions, name: string) {
  return { name, ...(job.namespace ? { namespace: job.namespace } : {}), labels: labels(job) };
}

export function configMap(job: K8sJobOptions): IConfigMap {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: metadata(job, `${k8sName(job.runId)}-scenario`), data: { [CONFIG_KEY]: job.configText } };
}

function podSpec(job: K8sJobOptions, container: IPodSpec["containers"][number], extra: Partial<IPodSpec> = {}): IPodSpec {
  return {
    restartPolicy: "Never",
    ...extra,
    containers: [container],
    volumes: [
      { name: "scenario", configMap: { name: `${k8sName(job.runId)}-scenario` } },
      { name: "results", persistentVolumeClaim: { claimName: job.resultsClaim } },
    ],
  };
}

const mounts = [
  { name: "scenario", mountPath: CONFIG_MOUNT, readOnly: true },
  { name: "results", mountPath: RESULTS_MOUNT },
];

/** The Indexed Job: shard i of N is the pod with completion index i. */
export function shardJob(job: K8sJobOptions): IJob {
  const term = { labelSelector: { matchLabels: labels(job) }, topologyKey: "kubernetes.io/hostname" };
  const antiAffinity = job.spread === "required" ? { requiredDuringSchedulingIgnoredDuringExecution: [term] } : { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }] };
  const folder = shardFolder(job.runId, "$(JOB_COMPLETION_INDEX)");
  const args = ["--config", `${CONFIG_MOUNT}/${CONFIG_KEY}`, "--output-dir", folder, "--parsed-dir", `${folder}/parsed`, ...(job.scenario ? ["--scenario", job.scenario] : []), ...(job.baseUrl ? ["--base-url", job.baseUrl] : [])];
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: metadata(job, k8sName(job.runId)),
    spec: {
      completionMode: "Indexed",
      completions: job.shards,
      parallelism: job.shards,
      // A restarted shard would start after the common start and refuse: do not retry.
      backoffLimit: 0,
      template: {
        metadata: { labels: labels(job) },
        spec: podSpec(
          job,
          {
            name: "vbench",
            image: job.image,
            command: [VBENCH, "run"],
            args,
            env: [
              // Set by the Job controller too; declared here so $(JOB_COMPLETION_INDEX) in args is expanded.
              { name: "JOB_COMPLETION_INDEX", valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } },
              { name: "VBENCH_SHARDS", value: String(job.shards) },
              { name: "VBENCH_RUN_ID", value: job.runId },
              { name: "VBENCH_START_AT", value: job.startAtIso },
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
export function mergeJob(job: K8sJobOptions): IJob {
  const dirs = Array.from({ length: job.shards }, (_, i) => shardFolder(job.runId, i));
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: metadata(job, `${k8sName(job.runId)}-merge`),
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels: labels(job) },
        spec: podSpec(job, { name: "merge", image: job.image, command: [VBENCH, "merge"], args: [...dirs, "--output-dir", mergedFolder(job.runId), ...(job.allowPartial ? ["--allow-partial"] : [])], volumeMounts: mounts }),
      },
    },
  };
}
