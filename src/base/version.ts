/** The tool version, from package.json (bundled into the binary at build time). */
import pkg from "../../package.json" with { type: "json" };

export const VERSION: string = pkg.version;

/**
 * The runtime as results record it (`host.runtime`) and `--version` prints
 * it: in a compiled binary, the Bun the binary was built with. (Not
 * process.version, which is the Node.js version Bun emulates.)
 */
export const RUNTIME = `bun ${Bun.version}`;

/** `vbench --version`: `vbench/0.1.0 linux-x64 bun 1.4.5`. */
export function versionLine(): string {
  return `vbench/${VERSION} ${process.platform}-${process.arch} ${RUNTIME}`;
}
