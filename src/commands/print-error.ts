/**
 * How an error reaches the user: what happened, details, what to do, on
 * stderr, and the exit code it maps to. src/cli.ts renders every error of
 * every command through `printError` and exits with its answer.
 */
import { ExitCode, isVbenchError } from "../base/errors.ts";
import { closestMatch } from "../base/suggest.ts";

/** Messages can carry text from servers and files: never let escape sequences reach the terminal. */
function clean(text: string): string {
  return text.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(\u0007|\u001b\\)?|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "");
}

/** Print `error` the way users should see it; returns its exit code. `knownFlags`: the flags of the command typed (for an unknown flag's suggestion). */
export function printError(error: unknown, knownFlags: () => string[]): number {
  if (isVbenchError(error)) {
    process.stderr.write(`\nvbench: error: ${clean(error.message)}\n`);
    for (const line of error.details) process.stderr.write(`  - ${clean(line)}\n`);
    if (error.hint) process.stderr.write(`  hint: ${clean(error.hint)}\n`);
    return error.exitCode;
  }
  const e = error as Error;
  if (e?.name === "CACError") {
    process.stderr.write(`vbench: error: ${clean(unknownFlagMessage(e.message, knownFlags))}\n  hint: see \`vbench --help\` or \`vbench <command> --help\`.\n`);
    return ExitCode.config;
  }
  process.stderr.write(`vbench: internal error (a bug; please report it): ${e?.stack ?? String(error)}\n`);
  return ExitCode.internal;
}

/** cac's option names (`numPrompts`, `n`) as typed on the command line: `--num-prompts`. */
export function flagAsTyped(names: string[]): string {
  return `--${names.find((n) => n.length > 1) ?? names[0]}`.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * cac names an unknown flag camel-cased (`--numPromts`); say it as typed and
 * suggest the closest flag of the command.
 */
function unknownFlagMessage(message: string, knownFlags: () => string[]): string {
  const match = /^Unknown option `--?([^`]+)`/.exec(message);
  if (!match) return message;
  const typed = `--${match[1]!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const guess = closestMatch(typed, knownFlags());
  return `unknown flag ${typed}${guess ? ` (did you mean ${guess}?)` : ""}`;
}
