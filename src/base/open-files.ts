/**
 * The process's open-file limit, which caps its connections: every stream is
 * a socket. Bun raises the soft limit to the hard one at start-up, so the
 * hard limit is what counts, and only a privileged process raises that.
 *
 * Bun reports a socket it could not create (EMFILE) as a refused connection
 * (ECONNREFUSED, measured with Bun 1.4.5 and `ulimit -n 60`), so without this
 * a run above the limit shows the server refusing connections it never saw.
 * Read from /proc (Linux); elsewhere the limit is unknown and nothing is said.
 */
import { readdirSync, readFileSync } from "node:fs";

/**
 * Files kept free beyond the connections: the record log, result files, and
 * the runtime's own (measured: 17 open in a run, each worker thread ~2 more).
 */
const SPARE_FILES = 64;
/** A connect that fails with at most this many files free was refused by the limit, not by the server. */
const AT_LIMIT_FILES = 16;

/** The soft "Max open files" of a /proc/<pid>/limits text; undefined when absent or unlimited. */
export function parseOpenFileLimit(limits: string): number | undefined {
  const match = /^Max open files\s+(\S+)/m.exec(limits);
  if (!match || match[1] === "unlimited") return undefined;
  const value = Number(match[1]);
  return Number.isFinite(value) ? value : undefined;
}

export function openFileLimit(): number | undefined {
  try {
    return parseOpenFileLimit(readFileSync("/proc/self/limits", "utf8"));
  } catch {
    return undefined;
  }
}

/** Files this process has open now; "at limit" when listing them needs one more than it may open; undefined where /proc is absent. */
export function openFileCount(): number | "at limit" | undefined {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch (error) {
    const code = (error as { code?: string }).code;
    return code === "EMFILE" || code === "ENFILE" ? "at limit" : undefined;
  }
}

/**
 * The open-file limit and how many more files the process may open now,
 * less SPARE_FILES when `spare` (what connections may take); undefined where
 * the limit is unknown. Read once by each check before a run.
 */
export function fileRoom(spare = true): { limit: number; free: number } | undefined {
  const limit = openFileLimit();
  if (limit === undefined) return undefined;
  const open = openFileCount();
  return { limit, free: limit - (open === "at limit" ? limit : (open ?? 0)) - (spare ? SPARE_FILES : 0) };
}

/** How the limit stands: e.g. "this process may open 1000 files (ulimit -n), 998 open". */
export interface FileUse {
  limit: number;
  open: number;
}

/**
 * Whether the process is at its limit when a connect fails. The limit is read
 * when the probe is made: at the limit, reading /proc needs a file too, and
 * that failing (EMFILE) is itself the answer. Reads /proc at most once per
 * `everyMs`, so a burst of failed connects costs one directory read.
 */
export class FileUseProbe {
  private readonly limit = openFileLimit();
  private readAtMs = -Infinity;
  private last: FileUse | undefined;

  constructor(private readonly everyMs = 100) {}

  /** The limit and the files open, when the process is within AT_LIMIT_FILES of the limit; else undefined. */
  nearLimit(nowMs: number): FileUse | undefined {
    const limit = this.limit;
    if (limit === undefined) return undefined;
    if (nowMs - this.readAtMs >= this.everyMs) {
      this.readAtMs = nowMs;
      const open = openFileCount();
      this.last = open === undefined ? undefined : { limit, open: open === "at limit" ? limit : open };
    }
    const use = this.last;
    return use && use.open >= limit - AT_LIMIT_FILES ? use : undefined;
  }
}

/** What a connect failure at the limit means, and what to do; its start is what the console's failure lines show. */
export function fileLimitText(use: FileUse): string {
  return (
    `from the client's own open-file limit, not the server: this process had ${use.open} of the ${use.limit} files it may open (ulimit -n) in use, ` +
    "and Bun reports a socket it cannot create as ECONNREFUSED; raise the limit (ulimit -n, LimitNOFILE= in a systemd unit, --ulimit nofile= for docker) or lower max_concurrency"
  );
}
