/**
 * The wire as the reference: what the server did, seen as packets on the
 * loopback interface (tcpdump), matched to the client's records by
 * `x-request-id`.
 *
 * The simulator's own record (GET /_truth) starts a request when its handler
 * runs. A request that waits in the simulator before that (its event loop busy
 * with other requests: about 0.1–0.3 ms each when several arrive together) has
 * a wire TTFT longer than the simulator's record says, and a client measuring
 * the wire is right to report it. The capture sees every request from the
 * moment its last byte reached the server to the moment its first token left.
 *
 * Needs tcpdump and the right to capture (root or CAP_NET_RAW); when either is
 * missing, startWireCapture says why and the caller reports without it.
 */
import { existsSync, readFileSync } from "node:fs";
import { errorStats, type ErrorStats, type MeasuredTiming } from "../src/results/truth-compare.ts";

/** One request as the wire showed it. Times in ms since the epoch (the capture's clock). */
export interface WireTiming {
  requestId: string;
  /** The request's last packet towards the server. */
  requestAtMs: number;
  /** The first packet from the server carrying a token, and the last; NaN when none. */
  firstTokenAtMs: number;
  lastTokenAtMs: number;
  tokenPackets: number;
  /**
   * The capture time of every token-bearing SSE message, in order: a packet carrying k such
   * messages (written close together and sent as one segment) contributes k equal times.
   */
  tokenAtMs?: number[];
}

/** SSE events that carry tokens: chat deltas, completions text, TGI tokens (as the simulator writes them). */
const TOKEN_MARKERS = ['"delta":{"content":', '"text":', '"token":{'];
const REQUEST_ID = "x-request-id: ";

interface Packet {
  atMs: number;
  srcPort: number;
  dstPort: number;
  /** TCP sequence number of the payload's first byte. */
  seq: number;
  payload: Uint8Array;
}

/** Link-layer header length by pcap link type: Ethernet (lo on Linux), BSD loopback, Linux cooked v1 and v2. */
const LINK_HEADER: Record<number, number> = { 1: 14, 0: 4, 108: 4, 113: 16, 276: 20 };

/** The TCP packets of a classic pcap file (microsecond or nanosecond, either byte order), with their payloads. */
export function readPcap(bytes: Uint8Array): Packet[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 24) throw new Error("not a pcap file: shorter than its header");
  const magic = view.getUint32(0, true);
  const little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const bigMagic = view.getUint32(0, false);
  if (!little && bigMagic !== 0xa1b2c3d4 && bigMagic !== 0xa1b23c4d) throw new Error("not a pcap file: bad magic number");
  const nano = (little ? magic : bigMagic) === 0xa1b23c4d;
  const linkType = view.getUint32(20, little);
  const linkHeader = LINK_HEADER[linkType];
  if (linkHeader === undefined) throw new Error(`pcap link type ${linkType} is not supported`);
  const packets: Packet[] = [];
  for (let at = 24; at + 16 <= bytes.byteLength; ) {
    const seconds = view.getUint32(at, little);
    const fraction = view.getUint32(at + 4, little);
    const captured = view.getUint32(at + 8, little);
    const frame = at + 16;
    at = frame + captured;
    if (at > bytes.byteLength) break; // a record cut short by the capture ending
    const atMs = seconds * 1000 + (nano ? fraction / 1e6 : fraction / 1e3);
    const ip = frame + linkHeader;
    const version = bytes[ip]! >> 4;
    let tcp: number;
    let end: number;
    if (version === 4) {
      if (bytes[ip + 9] !== 6) continue;
      tcp = ip + (bytes[ip]! & 0x0f) * 4;
      end = Math.min(at, ip + view.getUint16(ip + 2, false));
    } else if (version === 6) {
      if (bytes[ip + 6] !== 6) continue;
      tcp = ip + 40;
      end = Math.min(at, tcp + view.getUint16(ip + 4, false));
    } else continue;
    const payloadAt = tcp + (bytes[tcp + 12]! >> 4) * 4;
    packets.push({ atMs, srcPort: view.getUint16(tcp, false), dstPort: view.getUint16(tcp + 2, false), seq: view.getUint32(tcp + 4, false), payload: bytes.subarray(payloadAt, end) });
  }
  return packets;
}

/**
 * Per-request wire timings from the packets of a capture on `serverPort`.
 * Requests on one connection follow each other (HTTP/1.1 without pipelining,
 * as vbench sends), so each connection is followed as a sequence.
 */
export function wireTimings(packets: Packet[], serverPort: number, seen: WireStats = { retransmissions: 0 }): WireTiming[] {
  const sentUpTo = new Map<number, number>(); // per direction (ports), the end of the highest segment seen
  const decoder = new TextDecoder("latin1");
  const current = new Map<number, WireTiming>();
  const out: WireTiming[] = [];
  for (const p of packets) {
    if (p.payload.byteLength === 0) continue;
    // A retransmitted segment (the receiver dropped the first copy: on loopback, a full socket backlog) carries
    // bytes already seen: counted once, at the first copy's time (when the server sent them).
    const direction = p.srcPort * 65536 + p.dstPort;
    const end = (p.seq + p.payload.byteLength) >>> 0;
    const upTo = sentUpTo.get(direction);
    if (upTo !== undefined && ((end - upTo) | 0) <= 0) {
      seen.retransmissions++;
      continue;
    }
    sentUpTo.set(direction, end);
    const text = decoder.decode(p.payload);
    if (p.dstPort === serverPort) {
      const open = current.get(p.srcPort);
      const idAt = text.indexOf(REQUEST_ID);
      if (idAt >= 0) {
        const idEnd = text.indexOf("\r\n", idAt);
        const timing: WireTiming = {
          requestId: text.slice(idAt + REQUEST_ID.length, idEnd < 0 ? undefined : idEnd),
          requestAtMs: p.atMs,
          firstTokenAtMs: NaN,
          lastTokenAtMs: NaN,
          tokenPackets: 0,
          tokenAtMs: [],
        };
        current.set(p.srcPort, timing);
        out.push(timing);
      } else if (open && Number.isNaN(open.firstTokenAtMs)) {
        open.requestAtMs = p.atMs; // the rest of the request (its body)
      }
    } else if (p.srcPort === serverPort) {
      const open = current.get(p.dstPort);
      if (!open) continue;
      const messages = tokenMessages(text);
      if (messages === 0) continue;
      if (Number.isNaN(open.firstTokenAtMs)) open.firstTokenAtMs = p.atMs;
      open.lastTokenAtMs = p.atMs;
      open.tokenPackets++;
      for (let k = 0; k < messages; k++) open.tokenAtMs!.push(p.atMs);
    }
  }
  return out;
}

/** Token-bearing SSE messages in one packet's payload (the text between `data: ` markers that holds a token). */
export function tokenMessages(text: string): number {
  if (!TOKEN_MARKERS.some((m) => text.includes(m))) return 0;
  let count = 0;
  for (const event of text.split("data: ")) if (TOKEN_MARKERS.some((m) => event.includes(m))) count++;
  return Math.max(1, count);
}

/** What wireTimings saw besides the timings. */
export interface WireStats {
  /** Segments left out because their bytes had been seen already (TCP retransmissions). */
  retransmissions: number;
}

export interface WireCapture {
  /** Stop capturing and read what was seen (`seen` gets the retransmission count). */
  stop(seen?: WireStats): Promise<WireTiming[]>;
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
  };
}

export interface WireComparison {
  /** Successful measured requests found on the wire with a token. */
  matched: number;
  missing: number;
  measuredMeanTtftMs: number;
  wireMeanTtftMs: number;
  /** measured − wire TTFT per request. */
  ttftErrorMs: ErrorStats;
  measuredMeanItlMs: number;
  wireMeanItlMs: number;
  /** measured − wire, mean inter-token gap pooled over every request (first to last token). */
  itlErrorMs: number;
}

export function compareWithWire(measured: Iterable<MeasuredTiming>, wire: Iterable<WireTiming>): WireComparison {
  const byId = new Map<string, WireTiming>();
  for (const w of wire) if (w.tokenPackets > 0) byId.set(w.requestId, w);
  const errors: number[] = [];
  let missing = 0;
  let measuredTtft = 0;
  let wireTtft = 0;
  let measuredSpan = 0;
  let wireSpan = 0;
  let gaps = 0;
  for (const m of measured) {
    if (!m.success || m.chunkAtMs.length === 0) continue;
    const w = byId.get(m.requestId);
    if (!w) {
      missing++;
      continue;
    }
    const mt = m.chunkAtMs[0]! - m.sentAtMs;
    const wt = w.firstTokenAtMs - w.requestAtMs;
    measuredTtft += mt;
    wireTtft += wt;
    errors.push(mt - wt);
    const n = m.chunkAtMs.length;
    if (n > 1) {
      measuredSpan += m.chunkAtMs[n - 1]! - m.chunkAtMs[0]!;
      wireSpan += w.lastTokenAtMs - w.firstTokenAtMs;
      gaps += n - 1;
    }
  }
  const k = errors.length;
  return {
    matched: k,
    missing,
    measuredMeanTtftMs: measuredTtft / k,
    wireMeanTtftMs: wireTtft / k,
    ttftErrorMs: errorStats(Float64Array.from(errors)),
    measuredMeanItlMs: measuredSpan / gaps,
    wireMeanItlMs: wireSpan / gaps,
    itlErrorMs: (measuredSpan - wireSpan) / gaps,
  };
}
