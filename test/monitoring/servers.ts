/**
 * Real monitoring servers for the tests, started from scratch folders on
 * 127.0.0.1 free ports: Debian's clickhouse-server (18.16) and
 * prometheus-pushgateway. A missing binary FAILS the test with the install
 * command (.ci/run installs both); it is never a skip.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/vbench.ts";

export interface TestServer {
  url: string;
  dir: string;
  logTail(): string;
  stop(): Promise<void>;
}

export function requireBinary(name: string, pkg: string): string {
  const path = Bun.which(name);
  if (!path) throw new Error(`${name} not found: install it with \`apt-get update && apt-get install -y ${pkg}\` (Debian; .ci/run does this)`);
  return path;
}

/** A port that was free a moment ago (the OS hands out a fresh one per call). */
export function freePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

async function waitUntil(check: () => Promise<boolean>, what: string, exited: Promise<number>, tail: () => string, timeoutMs = 30_000): Promise<void> {
  let dead: number | null = null;
  void exited.then((code) => (dead = code));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (dead !== null) throw new Error(`${what} exited with code ${dead} before it was ready:\n${tail()}`);
    if (await check().catch(() => false)) return;
    await Bun.sleep(100);
  }
  throw new Error(`${what} was not ready after ${timeoutMs} ms:\n${tail()}`);
}

const USERS_XML = `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users>
    <default><password></password><networks><ip>::/0</ip></networks><profile>default</profile><quota>default</quota></default>
    <bench_writer><password>PASSWORD</password><networks><ip>::/0</ip></networks><profile>default</profile><quota>default</quota></bench_writer>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`;

/** clickhouse-server with users `default` (no password) and `bench_writer` (password `writerPassword`). */
export async function startClickHouse(writerPassword: string): Promise<TestServer> {
  const bin = requireBinary("clickhouse-server", "clickhouse-server");
  const dir = tempDir("vbench-clickhouse-");
  for (const sub of ["tmp", "user_files", "format_schemas"]) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, "users.xml"), USERS_XML.replace("PASSWORD", writerPassword));
  const httpPort = freePort();
  const args = [
    bin, "--config-file=/etc/clickhouse-server/config.xml", "--",
    `--path=${dir}/`, `--tmp_path=${dir}/tmp/`, `--user_files_path=${dir}/user_files/`, `--format_schema_path=${dir}/format_schemas/`,
    `--users_config=${dir}/users.xml`, `--logger.log=${dir}/log`, `--logger.errorlog=${dir}/err`,
    `--http_port=${httpPort}`, `--tcp_port=${freePort()}`, `--interserver_http_port=${freePort()}`, "--listen_host=127.0.0.1",
  ];
  const proc = Bun.spawn(args, { cwd: dir, stdin: "ignore", stdout: "ignore", stderr: "ignore" });
  const url = `http://127.0.0.1:${httpPort}`;
  const logTail = () => {
    try {
      return readFileSync(join(dir, "err"), "utf8").slice(-3000);
    } catch {
      return "(no error log)";
    }
  };
  await waitUntil(async () => (await fetch(`${url}/ping`)).ok, "clickhouse-server", proc.exited, logTail);
  return { url, dir, logTail, stop: () => stopProcess(proc, dir) };
}

export async function startPushgateway(): Promise<TestServer> {
  const bin = requireBinary("prometheus-pushgateway", "prometheus-pushgateway");
  const dir = tempDir("vbench-pushgateway-");
  const port = freePort();
  // Debian's build persists to /var/lib/prometheus/pushgateway.data by default: keep the test's metrics in memory only.
  const proc = Bun.spawn([bin, `--web.listen-address=127.0.0.1:${port}`, "--persistence.file="], { cwd: dir, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  let tail = "";
  void (async () => {
    for await (const chunk of proc.stderr) tail = (tail + new TextDecoder().decode(chunk)).slice(-3000);
  })().catch(() => {});
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(async () => (await fetch(`${url}/-/ready`)).ok, "prometheus-pushgateway", proc.exited, () => tail);
  return { url, dir, logTail: () => tail, stop: () => stopProcess(proc, dir) };
}

/** Stop the server and remove its scratch folder (a ClickHouse data folder is tens of MB). */
async function stopProcess(proc: ReturnType<typeof Bun.spawn>, dir: string): Promise<void> {
  proc.kill("SIGTERM");
  const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
  await proc.exited;
  clearTimeout(timer);
  rmSync(dir, { recursive: true, force: true });
}
