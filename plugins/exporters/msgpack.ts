/**
 * msgpack exporter: raw.msgpack, the lossless copy of a scenario result from
 * which `vbench export` re-renders any other format (src/results/raw-records.ts).
 */
import { join } from "node:path";
import { defineExporter } from "../../src/plugin-host/registry.ts";
import { checkWritableDir, writeFileAtomic } from "../../src/base/atomic-write.ts";
import { encodeRaw } from "../../src/results/raw-records.ts";

export const RAW_FILE = "raw.msgpack";

export default defineExporter({
  name: "msgpack",
  description: "raw.msgpack: every record and chunk timestamp, for re-rendering with `vbench export`",
  async preflight(ctx) {
    await checkWritableDir(ctx.scenarioDir, { create: true });
  },
  async write(result, ctx) {
    const path = join(ctx.scenarioDir, RAW_FILE);
    await writeFileAtomic(path, encodeRaw(result));
    return [path];
  },
});
