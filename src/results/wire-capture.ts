/**
 * The wire as the reference: tcpdump on the loopback interface while a run
 * goes on, read back as per-request timings (../wire/pcap.ts) in the shape of
 * the simulator's own record, so one comparison (./truth-compare.ts) serves
 * both references. Needs tcpdump and the right to capture (root or
 * CAP_NET_RAW); when either is missing, startWireCapture says why.
 */
import { existsSync, readFileSync } from "node:fs";
import { readPcap, wireTimings, type WireStats, type WireTiming } from "../wire/pcap.ts";
import type { TrueTiming } from "./truth-compare.ts";

/** A request as the wire saw it, in the shape of the simulator's record: from its last request packet to each token message. */
export function wireAsTruth(w: WireTiming): TrueTiming {
  return { requestId: w.requestId, receivedAtMs: w.requestAtMs, chunkAtMs: w.tokenAtMs ?? [] };
}

/**
 * Kernel buffer (KiB) for a capture of a run at scale: ~25,000 messages/s plus their ACKs must not
 * overflow it while tcpdump waits for a CPU (a capture that dropped packets is refused).
 */
export const AT_SCALE_BUFFER_KIB = 262_144;

export interface WireCapture {
  /** Stop capturing and read what was seen (`seen` gets the retransmission count). */
  stop(seen?: WireStats): Promise<WireTiming[]>;
  /** Stop capturing at once, reading nothing (a run that failed, or a check that tcpdump can capture here). */
  abort(): Promise<void>;
}

/** Start tcpdump on the loopback interface for `port`; a reason string when it cannot run here. */
export async function startWireCapture(port: number, file: string, options: { bufferKiB?: number; cpus?: string } = {}): Promise<WireCapture | string> {
  const tcpdump = ["/usr/bin/tcpdump", "/usr/sbin/tcpdump"].find((p) => existsSync(p));
  if (!tcpdump) return "tcpdump is not installed (apt-get install tcpdump)";
  // Packets reach tcpdump in kernel blocks, handed over at least every second (its buffer timeout): no
  // wake-up per packet, so the capture takes little CPU from the client and server it watches. -U writes
  // each block as it comes, -B makes the kernel buffer large enough that nothing is dropped, -s 0 keeps
  // whole packets.
  // options.cpus: the CPUs tcpdump may run on (taskset), to keep it off a pinned client's CPU.
  const proc = Bun.spawn([...(options.cpus ? ["taskset", "-c", options.cpus] : []), tcpdump, "-i", "lo", "-n", "-U", "-B", String(options.bufferKiB ?? 32768), "-s", "0", "-w", file, `tcp port ${port}`], { stdout: "ignore", stderr: "pipe" });
  // tcpdump says "listening on lo" once capturing, and its drop count when it stops.
  let said = "";
  let onListening = (): void => {};
  const listening = new Promise<boolean>((resolve) => (onListening = () => resolve(true)));
  const stderrDone = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr) {
      said += decoder.decode(chunk, { stream: true });
      if (said.includes("listening on")) onListening();
    }
  })();
  const started = await Promise.race([listening, proc.exited.then(() => false), Bun.sleep(5000).then(() => false)]);
  if (!started) {
    proc.kill();
    return `tcpdump could not capture: ${said.trim().split("\n").pop() || "no answer within 5 s"} (it needs root or CAP_NET_RAW)`;
  }
  return {
    async stop(seen?: WireStats) {
      // The last block reaches tcpdump within its one-second buffer timeout; an interrupt before that loses it.
      await Bun.sleep(1500);
      proc.kill("SIGINT");
      await proc.exited;
      await stderrDone;
      const dropped = /(\d+) packets? dropped by kernel/.exec(said);
      if (dropped && dropped[1] !== "0") throw new Error(`tcpdump dropped ${dropped[1]} packets: the wire figures would be incomplete`);
      return wireTimings(readPcap(readFileSync(file)), port, seen);
    },
    async abort() {
      proc.kill("SIGINT");
      await proc.exited;
      await stderrDone;
    },
  };
}
