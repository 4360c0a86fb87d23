/**
 * Permission tests as an unprivileged user. Root ignores permission bits and
 * CI runs as root, so there the command under test runs as `nobody` through
 * util-linux's setpriv, on files the test hands to that user; a test run by
 * an ordinary user runs the command as that user.
 */
import { chmodSync, chownSync, existsSync } from "node:fs";

const isRoot = process.getuid?.() === 0;

function nobodyId(flag: "-u" | "-g"): number {
  const r = Bun.spawnSync(["id", flag, "nobody"]);
  const id = Number(r.stdout.toString().trim());
  if (r.exitCode !== 0 || !Number.isInteger(id)) throw new Error(`permission tests run as root need the user "nobody": \`id ${flag} nobody\` failed`);
  return id;
}

const nobody = isRoot ? { uid: nobodyId("-u"), gid: nobodyId("-g") } : null;

/** `cmd`, run as nobody when the tests run as root, else unchanged. */
export function unprivileged(cmd: string[]): string[] {
  if (!nobody) return cmd;
  if (!["/usr/bin/setpriv", "/bin/setpriv"].some(existsSync)) throw new Error("permission tests run as root need setpriv (Debian package util-linux)");
  return ["setpriv", `--reuid=${nobody.uid}`, `--regid=${nobody.gid}`, "--clear-groups", "--", ...cmd];
}

/** Give `path` to the user {@link unprivileged} commands run as, with `mode` (e.g. 0o500: theirs, but not writable). */
export function ownedByRunner(path: string, mode: number): void {
  if (nobody) chownSync(path, nobody.uid, nobody.gid);
  chmodSync(path, mode);
}
