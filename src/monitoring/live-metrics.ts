/**
 * The live `/metrics` endpoint (`vbench run --metrics-port N`): Prometheus
 * scrapes a long run while it is going. The server reads the run's plain
 * snapshot and renders on each scrape, so the run's hot path never waits on
 * it; a rendering error answers 500 and never touches the run.
 */
import { ExitCode, VbenchError, errorMessage } from "../base/errors.ts";
import type { LiveSnapshot } from "./live-state.ts";
import { LiveAggregator, renderLiveMetrics } from "./live-render.ts";

export interface LiveMetricsServer {
  /** The bound port (useful with port 0). */
  port: number;
  url: string;
  stop(): Promise<void>;
}

export interface LiveMetricsOptions {
  /** Address to bind; default all interfaces, since Prometheus usually scrapes from another host or container. */
  hostname?: string;
}

const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export async function startLiveMetricsServer(port: number, snapshot: () => LiveSnapshot | null, options: LiveMetricsOptions = {}): Promise<LiveMetricsServer> {
  const hostname = options.hostname ?? "0.0.0.0";
  const aggregator = new LiveAggregator();
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({
      hostname,
      port,
      fetch(request) {
        const path = new URL(request.url).pathname;
        if (path === "/metrics" && (request.method === "GET" || request.method === "HEAD")) {
          try {
            return new Response(renderLiveMetrics(snapshot(), aggregator), { headers: { "Content-Type": CONTENT_TYPE } });
          } catch (error) {
            return new Response(`rendering metrics failed: ${errorMessage(error)}\n`, { status: 500 });
          }
        }
        if (path === "/") return new Response("vbench live metrics: see /metrics\n");
        return new Response("not found; see /metrics\n", { status: 404 });
      },
    });
  } catch (error) {
    throw new VbenchError("metrics_port", `cannot serve live metrics on ${hostname}:${port}: ${errorMessage(error)}`, {
      hint: "Choose another --metrics-port (or 0 for a free one), or stop what is using it.",
      exitCode: ExitCode.preflight,
      cause: error,
    });
  }
  const bound = server.port ?? port;
  const shownHost = hostname === "0.0.0.0" ? "127.0.0.1" : hostname;
  return {
    port: bound,
    url: `http://${shownHost}:${bound}/metrics`,
    async stop() {
      await server.stop(true);
    },
  };
}
