/**
 * A raw TCP server on 127.0.0.1 speaking just enough HTTP/1.1 for an
 * OpenAI-compatible chat stream, that closes a kept-alive connection without
 * a byte when a second POST arrives on it: the race of a server closing an
 * idle connection as the client reuses it, on demand. GET /v1/models is
 * always answered (preflight). Every POST's arrival is kept.
 */
import type { Socket } from "bun";

export interface Arrival {
  connection: number;
  /** 1 for the first POST on its connection. */
  nth: number;
  requestId: string;
  /** performance.now() when the whole request had arrived. */
  atMs: number;
  dropped: boolean;
}

export interface DropServer {
  url: string;
  arrivals: Arrival[];
  stop(): void;
}

const enc = new TextEncoder();
const chunked = (events: string[]) => events.map((e) => `${enc.encode(e).byteLength.toString(16)}\r\n${e}\r\n`).join("") + "0\r\n\r\n";

function sse(tokens: number): string {
  const events = [{ choices: [{ index: 0, delta: { role: "assistant" } }] }];
  for (let i = 0; i < tokens; i++) events.push({ choices: [{ index: 0, delta: { content: ` t${i}` }, ...(i === tokens - 1 ? { finish_reason: "length" } : {}) }] } as never);
  events.push({ choices: [], usage: { prompt_tokens: 3, completion_tokens: tokens, total_tokens: tokens + 3 } } as never);
  const body = events.map((e) => `data: ${JSON.stringify(e)}\n\n`).concat("data: [DONE]\n\n");
  return `HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n${chunked(body)}`;
}

const MODELS = JSON.stringify({ object: "list", data: [{ id: "drop-model", object: "model" }] });

/**
 * `answerFirstPost`: answer the first POST of every connection (default), or
 * only the very first connection's (every later connection is closed at its
 * first POST too).
 */
export function startDropServer(options: { answerFirstPost?: "every-connection" | "first-connection" } = {}): DropServer {
  const mode = options.answerFirstPost ?? "every-connection";
  const arrivals: Arrival[] = [];
  let connections = 0;
  type State = { id: number; posts: number; buf: string };
  const listener = Bun.listen<State>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket: Socket<State>) {
        socket.data = { id: ++connections, posts: 0, buf: "" };
      },
      data(socket: Socket<State>, bytes: Uint8Array) {
        const st = socket.data;
        st.buf += Buffer.from(bytes).toString("latin1");
        for (;;) {
          const headEnd = st.buf.indexOf("\r\n\r\n");
          if (headEnd < 0) return;
          const head = st.buf.slice(0, headEnd);
          const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
          if (st.buf.length < headEnd + 4 + length) return;
          const body = st.buf.slice(headEnd + 4, headEnd + 4 + length);
          st.buf = st.buf.slice(headEnd + 4 + length);
          if (head.startsWith("GET")) {
            socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${MODELS.length}\r\n\r\n${MODELS}`);
            continue;
          }
          st.posts++;
          const answer = st.posts === 1 && (mode === "every-connection" || st.id === 1);
          const requestId = /x-request-id: *([^\r]*)/i.exec(head)?.[1] ?? "";
          arrivals.push({ connection: st.id, nth: st.posts, requestId, atMs: performance.now(), dropped: !answer });
          if (!answer) {
            socket.end();
            return;
          }
          const asked = JSON.parse(body) as { max_tokens?: number; max_completion_tokens?: number };
          socket.write(sse(asked.max_completion_tokens ?? asked.max_tokens ?? 2));
        }
      },
    },
  });
  return { url: `http://127.0.0.1:${listener.port}`, arrivals, stop: () => listener.stop(true) };
}
