/**
 * `vbench calibrate --wire`: each level's traffic captured on the loopback
 * interface (tcpdump, ../results/wire-capture.ts), and the check, before the
 * table starts, that tcpdump may capture here at all.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExitCode, VbenchError } from "../base/errors.ts";
import { AT_SCALE_BUFFER_KIB, startWireCapture } from "../results/wire-capture.ts";

/** tcpdump on `port` (for a level: the simulator's); a config error, before anything is measured, when it cannot capture here. */
export async function startCapture(port: number, dir: string) {
  // Up to calibrate's CHUNK_BUDGET_PER_S messages/s.
  const capture = await startWireCapture(port, join(dir, "wire.pcap"), { bufferKiB: AT_SCALE_BUFFER_KIB });
  if (typeof capture === "string") {
    throw new VbenchError("calibrate_wire", `calibrate --wire cannot capture the loopback interface: ${capture}`, { hint: "run it as root (or give tcpdump CAP_NET_RAW), or leave --wire out to judge against the simulator's own record", exitCode: ExitCode.config });
  }
  return capture;
}

/** --wire: make sure tcpdump can capture here before the table starts (a capture of nothing, stopped at once). */
export async function checkCapture(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "vbench-calibrate-wire-"));
  try {
    await (await startCapture(0, dir)).abort();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
