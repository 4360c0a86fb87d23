/**
 * Where a thread's entry file lives: beside cli.ts in the source tree, and
 * at the root of the compiled binary's file system, where build.ts lists
 * every entry (dispatch-worker.ts, request-worker.ts,
 * release-clock-worker.ts). One place for that rule, for every Worker.
 */
export function workerEntry(file: string): string {
  return import.meta.url.includes("/$bunfs/") ? `./${file}` : new URL(`../${file}`, import.meta.url).href;
}
