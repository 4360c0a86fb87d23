/**
 * Human output: stderr through consola (stdout stays for data), and a copy
 * of every line in the run's log files (the seed's main and per-scenario
 * logs), with debug detail that the terminal does not show.
 */
import { createConsola } from "consola";
import { appendFileSync } from "node:fs";

const consola = createConsola({ stdout: process.stderr, stderr: process.stderr, formatOptions: { date: false } });

/* eslint-disable no-control-regex */
/** OSC (window titles, hyperlinks), terminated by BEL or ST, or cut off. */
const OSC = /\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?/g;
/** CSI (colours, cursor moves, screen clears), 7-bit or 8-bit introducer. */
const CSI = /(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]/g;
/** Any other escape and the byte after it. */
const ESCAPE = /\x1b[@-_]?/g;
/** Every other control character except tab and newline (carriage return could overwrite a line). */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
/* eslint-enable no-control-regex */

/**
 * Terminal control sequences in text from servers or files: never let them
 * reach a terminal. Whole sequences go (no "[31m" left behind); newlines and
 * tabs stay, so multi-line messages keep their shape.
 */
export function sanitizeForTerminal(text: string): string {
  return text.replace(OSC, "").replace(CSI, "").replace(ESCAPE, "").replace(CONTROL, "");
}

export class Logger {
  private readonly files = new Set<string>();
  /** Deferred files: their lines are held here until openFile(), so a run that stops first leaves no file. */
  private readonly deferred = new Map<string, string[]>();
  quiet = false;

  /** Copy every line to `path`; `deferred`: hold the lines until openFile(path) (a scenario's log, once its test request passed). */
  addFile(path: string, options: { deferred?: boolean } = {}): void {
    if (options.deferred) this.deferred.set(path, []);
    else this.files.add(path);
  }

  /** Start writing a deferred file, beginning with the lines it was held. */
  openFile(path: string): void {
    const held = this.deferred.get(path);
    if (held === undefined) return;
    this.deferred.delete(path);
    this.files.add(path);
    if (held.length === 0) return;
    try {
      appendFileSync(path, held.join(""));
    } catch {
      // As below: a log file we cannot write must not stop the run.
    }
  }

  removeFile(path: string): void {
    this.files.delete(path);
    this.deferred.delete(path);
  }

  private toFiles(level: string, message: string): void {
    if (this.files.size === 0 && this.deferred.size === 0) return;
    const line = `${new Date().toISOString()} ${level.padEnd(5)} ${message}\n`;
    for (const held of this.deferred.values()) held.push(line);
    for (const file of this.files) {
      try {
        appendFileSync(file, line);
      } catch {
        // A log file we cannot write must not stop the run; results are written separately and checked.
      }
    }
  }

  /** Plain text to stderr exactly as given (the result block). */
  raw(text: string): void {
    process.stderr.write(text.endsWith("\n") ? text : text + "\n");
    for (const line of text.replace(/\n$/, "").split("\n")) this.toFiles("INFO", line);
  }

  // Messages may carry text from the server (model ids, error bodies): sanitized here, once for every caller.
  info(message: string): void {
    const text = sanitizeForTerminal(message);
    if (!this.quiet) process.stderr.write(text + "\n");
    this.toFiles("INFO", text);
  }

  warn(message: string): void {
    const text = sanitizeForTerminal(message);
    consola.warn(text);
    this.toFiles("WARN", text);
  }

  error(message: string): void {
    const text = sanitizeForTerminal(message);
    consola.error(text);
    this.toFiles("ERROR", text);
  }

  /** Log files only. */
  debug(message: string): void {
    this.toFiles("DEBUG", sanitizeForTerminal(message));
  }
}
