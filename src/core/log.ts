/**
 * Human output: stderr through consola (stdout stays for data), and a copy
 * of every line in the run's log files (the seed's main and per-scenario
 * logs), with debug detail that the terminal does not show.
 */
import { createConsola } from "consola";
import { appendFileSync } from "node:fs";

const consola = createConsola({ stdout: process.stderr, stderr: process.stderr, formatOptions: { date: false } });

/** Terminal control sequences in text from servers or files: never let them reach a terminal. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]|\u001b\[[0-9;?]*[a-zA-Z]/g;

export function sanitizeForTerminal(text: string): string {
  return text.replace(CONTROL, "");
}

export class Logger {
  private readonly files = new Set<string>();
  quiet = false;

  addFile(path: string): void {
    this.files.add(path);
  }

  removeFile(path: string): void {
    this.files.delete(path);
  }

  private toFiles(level: string, message: string): void {
    if (this.files.size === 0) return;
    const line = `${new Date().toISOString()} ${level.padEnd(5)} ${message}\n`;
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

  info(message: string): void {
    if (!this.quiet) process.stderr.write(message + "\n");
    this.toFiles("INFO", message);
  }

  warn(message: string): void {
    consola.warn(message);
    this.toFiles("WARN", message);
  }

  error(message: string): void {
    consola.error(message);
    this.toFiles("ERROR", message);
  }

  /** Log files only. */
  debug(message: string): void {
    this.toFiles("DEBUG", message);
  }
}
