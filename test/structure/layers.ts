/**
 * The architecture as layers: a module may import its own folder and any
 * folder of a lower layer, never a higher one (an "upward import"). Each
 * folder's README.md says the same in words. The longest matching prefix
 * gives a module its folder.
 */
export const LAYERS: Record<string, number> = {
  "src/base/": 0,
  "src/wire/": 1,
  "src/workload/": 1,
  "src/mock/": 1,
  "src/deploy/": 1,
  "src/plugin-host/": 2,
  "src/plugin-api.ts": 2,
  "src/results/": 2,
  "plugins/backends/": 3,
  "plugins/backends.ts": 3,
  "plugins/examples/": 3,
  "src/config/": 3,
  "src/monitoring/": 3,
  "src/engine/": 4,
  "src/analysis/": 4,
  "src/run/": 5,
  "plugins/exporters/": 5,
  "src/commands/": 6,
  "plugins/index.ts": 6,
  "src/cli.ts": 7,
  "src/dispatch-worker.ts": 7,
  "src/request-worker.ts": 7,
  "src/release-clock-worker.ts": 7,
};

/** The folder (LAYERS key) a module belongs to, or undefined when none matches. */
export function folderOf(path: string): string | undefined {
  let best: string | undefined;
  for (const prefix of Object.keys(LAYERS)) {
    if ((path === prefix || (prefix.endsWith("/") && path.startsWith(prefix))) && (!best || prefix.length > best.length)) best = prefix;
  }
  return best;
}
