/**
 * pushgateway exporter: after the last scenario, push every scenario's final
 * metrics (the same `vbench_*` families as metrics.prom) to a Prometheus
 * Pushgateway, replacing the group's previous run.
 *
 * Options (`exporter_options.pushgateway`): `url` (else env PUSHGATEWAY_URL),
 * `job` (default `vbench`), `grouping` (extra grouping labels), `method`
 * (`PUT` default, or `POST`). Credentials go in the URL's userinfo and are
 * never printed.
 */
import * as v from "valibot";
import type { ExportContext } from "../../src/base/plugin-types.ts";
import { defineExporter } from "../../src/plugin-host/registry.ts";
import { parseExporterOptions } from "../../src/monitoring/exporter-options.ts";
import { ExitCode, VbenchError } from "../../src/base/errors.ts";
import { envOf, runSetting } from "../../src/config/run-settings.ts";
import { checkPushgateway, pushgatewayPath, pushToGateway } from "../../src/monitoring/pushgateway.ts";
import { renderPrometheus } from "./prometheus.ts";

const optionsSchema = v.object({
  url: v.optional(v.pipe(v.string(), v.nonEmpty("a non-empty URL"))),
  job: v.optional(v.pipe(v.string(), v.nonEmpty("a non-empty job name")), "vbench"),
  grouping: v.optional(v.record(v.string(), v.string()), {}),
  method: v.optional(v.picklist(["PUT", "POST"]), "PUT"),
});
type PushgatewayOptions = v.InferOutput<typeof optionsSchema> & { url: string };

function resolveOptions(ctx: ExportContext): PushgatewayOptions {
  const parsed = parseExporterOptions("pushgateway", optionsSchema, ctx.options);
  const url = parsed.url ?? (runSetting("push_gateway", {}, process.env) as string | undefined);
  if (!url) {
    throw new VbenchError("pushgateway_url_missing", "the pushgateway exporter needs the gateway's URL", {
      hint: `Pass --push-gateway URL, set ${envOf("push_gateway")}, or set exporter_options.pushgateway.url in the scenario file.`,
      exitCode: ExitCode.config,
    });
  }
  return { ...parsed, url };
}

export default defineExporter({
  name: "pushgateway",
  description: `push the final vbench_* metrics of all scenarios to a Prometheus Pushgateway (option url or ${envOf("push_gateway")})`,
  async preflight(ctx) {
    const options = resolveOptions(ctx);
    pushgatewayPath(options.job, options.grouping); // invalid grouping labels fail now, not after the run
    await checkPushgateway(options.url);
  },
  async write() {
    // One push of all scenarios in finish(): a PUT per scenario would replace the previous ones.
    return [];
  },
  async finish(results, ctx) {
    if (results.length === 0) return [];
    const options = resolveOptions(ctx);
    const groupUrl = await pushToGateway(options.url, options.job, renderPrometheus(results), { grouping: options.grouping, method: options.method });
    ctx.log(`Pushed metrics of ${results.length} scenario run(s) to ${groupUrl}`);
    return [groupUrl];
  },
});
