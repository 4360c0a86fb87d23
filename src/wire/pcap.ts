/**
 * A loopback packet capture read as per-request timings: the wire as the
 * reference for what the simulator did (`vbench calibrate --wire`, bench/).
 * Pure: a classic pcap file's bytes in, each request's times out, matched to
 * the client's records by `x-request-id`.
 *
 * The simulator's own record (GET /_truth) starts a request when its handler
 * runs. A request that waits in the simulator before that (its event loop busy
 * with other requests: about 0.1–0.3 ms each when several arrive together) has
 * a wire TTFT longer than the simulator's record says, and a client measuring
 * the wire is right to report it. The capture sees every request from the
 * moment its last byte reached the server to the moment its first token left.
 */

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

/**
 * SSE events that carry tokens, as the client counts them (spec/metrics.md): an OpenAI payload with a
 * non-empty `choices` array (a chat role delta and an empty finish chunk included), a TGI `token`.
 */
const TOKEN_MARKERS = ['"choices":[{', '"token":{'];
const REQUEST_ID = "x-request-id: ";

export interface Packet {
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
