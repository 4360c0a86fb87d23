/**
 * One error type for everything that stops vbench (configuration, preflight,
 * I/O). Per-request failures are data in the records, never exceptions.
 * Only src/cli.ts turns these into an exit code.
 */

/** Documented exit codes (README "Exit codes"). */
export const ExitCode = {
  ok: 0,
  /** Unexpected internal error (a bug). */
  internal: 1,
  /** Bad configuration, flags, plugin or dataset: nothing was sent. */
  config: 2,
  /** Endpoint unreachable, model not served, or the initial test request failed. */
  preflight: 3,
  /** The run finished but a threshold failed. */
  threshold: 4,
  /** Writing results failed (disk full, permissions). */
  io: 5,
  /** `compare --fail-on-regression` found a regression. */
  regression: 6,
  /** Interrupted by SIGINT/SIGTERM; partial results were written. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface VbenchErrorOptions {
  /** What the user should do about it. */
  hint?: string;
  exitCode?: ExitCode;
  cause?: unknown;
  /** Further lines (e.g. every config problem when there are several). */
  details?: string[];
}

export class VbenchError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly exitCode: ExitCode;
  readonly details: string[];

  constructor(code: string, message: string, options: VbenchErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "VbenchError";
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.config;
    this.details = options.details ?? [];
  }
}

export function isVbenchError(e: unknown): e is VbenchError {
  return e instanceof VbenchError;
}

/** Message of any thrown value, for wrapping causes. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
