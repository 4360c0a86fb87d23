/**
 * Result files on disk: atomic whole-file writes (temporary name, fsync,
 * rename), a preflight probe for output directories, and a buffered append
 * stream for per-request records written while the run goes.
 *
 * Every failure becomes a VbenchError whose hint says what to do (disk full,
 * permissions, missing directory), so a 30-minute run never ends in a bare
 * errno.
 */
import { access, constants, mkdir, open, rename, stat, unlink, type FileHandle } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { ExitCode, VbenchError, errorMessage } from "./errors.ts";

/** errno code of a Node/Bun system error, if any. */
function errnoCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** What to do about a failed write to `path`, by errno code. */
export function ioHint(code: string | undefined, path: string): string {
  const dir = dirname(path);
  switch (code) {
    case "ENOSPC":
    case "EDQUOT":
      return `The disk is full (or the quota is exhausted) where ${dir} lives: free some space or set OUTPUT_DIR to another disk.`;
    case "EACCES":
    case "EPERM":
      return `No permission to write in ${dir}: fix its permissions/owner or set OUTPUT_DIR to a writable directory.`;
    case "EROFS":
      return `${dir} is on a read-only file system: set OUTPUT_DIR to a writable location.`;
    case "ENOENT":
      return `The directory ${dir} does not exist: create it or check OUTPUT_DIR / PARSED_DIR for a typo.`;
    case "ENOTDIR":
    case "EEXIST":
      return `A part of ${path} is a file, not a directory: choose another OUTPUT_DIR / PARSED_DIR.`;
    case "EISDIR":
      return `${path} is a directory: remove it or choose another output location.`;
    default:
      return `Check that ${dir} exists, is writable and has free space.`;
  }
}

export function writeError(code: string, path: string, cause: unknown, exitCode: ExitCode): VbenchError {
  const errno = errnoCode(cause);
  return new VbenchError(code, `cannot write ${path}: ${errorMessage(cause)}`, {
    hint: ioHint(errno, path),
    exitCode,
    cause,
  });
}

function tempSuffix(): string {
  return `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Write every byte, looping over short writes. */
async function writeAll(fh: FileHandle, data: string | Uint8Array): Promise<void> {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  let offset = 0;
  while (offset < bytes.byteLength) {
    const { bytesWritten } = await fh.write(bytes, offset, bytes.byteLength - offset);
    if (bytesWritten <= 0) throw Object.assign(new Error("short write"), { code: "EIO" });
    offset += bytesWritten;
  }
}

/**
 * Replace `path` atomically: readers see the old file or the complete new
 * one, never half of it. The temporary file lives in the same directory (a
 * rename is only atomic within one file system) and is removed on failure.
 * Throws VbenchError "write_failed" with exit code io.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${tempSuffix()}`;
  let created = false;
  try {
    const fh = await open(tmp, "wx");
    created = true;
    try {
      await writeAll(fh, data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    if (created) await unlink(tmp).catch(() => undefined);
    throw writeError("write_failed", path, e, ExitCode.io);
  }
}

/**
 * Preflight for an output directory, before any traffic: optionally create
 * it, then create and remove a probe file. With `dryRun` (`vbench validate`)
 * nothing is created: the directory, or the nearest ancestor that exists,
 * must be a directory this process may write into. Throws VbenchError
 * "output_not_writable" with exit code config (nothing was sent yet).
 */
export async function checkWritableDir(dir: string, opts: { create: boolean; dryRun?: boolean }): Promise<void> {
  const probe = `${dir}/.vbench-probe-${tempSuffix()}`;
  try {
    if (opts.dryRun) return await checkCreatable(dir);
    if (opts.create) await mkdir(dir, { recursive: true });
    const fh = await open(probe, "wx");
    try {
      await writeAll(fh, "probe\n");
    } finally {
      await fh.close();
    }
    await unlink(probe);
  } catch (e) {
    await unlink(probe).catch(() => undefined);
    // Said without the system call or the probe's random name, so run and validate word it alike.
    const code = errnoCode(e);
    const reason = code && DIR_PROBLEMS[code] ? `${DIR_PROBLEMS[code]} (${code})` : errorMessage(e);
    throw new VbenchError("output_not_writable", `output directory ${dir} is not usable: ${reason}`, {
      hint: ioHint(code, `${dir}/.vbench-probe`),
      exitCode: ExitCode.config,
      cause: e,
    });
  }
}

const DIR_PROBLEMS: Record<string, string> = {
  ENOTDIR: "a part of the path is a file, not a directory",
  EEXIST: "a file is in the way",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "read-only file system",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  ENOENT: "it does not exist",
};

/** Throws the errno error that creating `dir` and writing into it would meet, without creating anything. */
async function checkCreatable(dir: string): Promise<void> {
  for (let at = resolve(dir); ; at = dirname(at)) {
    const info = await stat(at).catch((e: unknown) => {
      if (errnoCode(e) === "ENOENT") return null;
      throw e;
    });
    if (info) {
      // Only the path itself can be found as a file here (below a file, stat fails with ENOTDIR); mkdir would say EEXIST.
      if (!info.isDirectory()) throw Object.assign(new Error(`EEXIST: file already exists: ${at}`), { code: "EEXIST" });
      await access(at, constants.W_OK | constants.X_OK);
      return;
    }
    if (dirname(at) === at) return;
  }
}

/** Bytes buffered before a write is forced (besides the timer). */
export const RECORD_STREAM_BUFFER_BYTES = 64 * 1024;

/**
 * Line-oriented append stream for records produced during a run. `write` is
 * synchronous and only buffers (it may run on the hot path); the file is
 * written on a timer or once the buffer passes 64 KiB. A failed background
 * write is remembered and thrown by the next `write`, `flush` or `close`, as
 * a VbenchError with exit code io.
 */
export class RecordStream {
  private fh: FileHandle | null = null;
  private path = "";
  private buffer: string[] = [];
  private bufferedChars = 0;
  private chain: Promise<void> = Promise.resolve();
  private failure: VbenchError | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private closed = false;

  /** Open (truncate) `path`; flush at least every `flushIntervalMs`. */
  async open(path: string, opts: { flushIntervalMs?: number } = {}): Promise<void> {
    this.path = path;
    try {
      this.fh = await open(path, "w");
    } catch (e) {
      throw writeError("write_failed", path, e, ExitCode.io);
    }
    this.timer = setInterval(() => void this.flush().catch(() => undefined), opts.flushIntervalMs ?? 1000);
    // The timer alone must not keep the process alive.
    this.timer.unref?.();
  }

  /** Buffer one line (a newline is appended). */
  write(line: string): void {
    if (this.failure) throw this.failure;
    if (this.closed || !this.fh) throw new VbenchError("write_failed", `record stream ${this.path || "(unopened)"} is not open`, { exitCode: ExitCode.internal });
    this.buffer.push(line, "\n");
    // UTF-16 length approximates bytes well enough for a flush trigger.
    this.bufferedChars += line.length + 1;
    if (this.bufferedChars >= RECORD_STREAM_BUFFER_BYTES) void this.flush().catch(() => undefined);
  }

  /** Write out whatever is buffered; resolves once it is on its way to disk. */
  flush(): Promise<void> {
    if (this.buffer.length > 0 && this.fh) {
      const data = this.buffer.join("");
      this.buffer = [];
      this.bufferedChars = 0;
      const fh = this.fh;
      // Writes are chained so lines land in order even when flushes overlap.
      this.chain = this.chain.then(async () => {
        if (this.failure) return;
        try {
          await writeAll(fh, data);
        } catch (e) {
          this.failure = writeError("write_failed", this.path, e, ExitCode.io);
        }
      });
    }
    return this.chain.then(() => {
      if (this.failure) throw this.failure;
    });
  }

  /** Flush, fsync and close. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const fh = this.fh;
    try {
      await this.flush();
      if (fh) await fh.sync().catch((e: unknown) => {
        // Character devices and pipes cannot fsync; that is not a data loss.
        if (errnoCode(e) !== "EINVAL" && errnoCode(e) !== "ENOTSUP") throw e;
      });
    } catch (e) {
      throw e instanceof VbenchError ? e : writeError("write_failed", this.path, e, ExitCode.io);
    } finally {
      this.fh = null;
      await fh?.close().catch(() => undefined);
    }
  }
}
