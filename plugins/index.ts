/**
 * The built-in plugins. A compiled binary bundles only what is imported
 * statically, so every built-in is listed here; plugins from disk are loaded
 * by src/plugin-host/plugin-loader.ts.
 */
import type { Plugin } from "../src/base/plugin-types.ts";
import { builtinBackends } from "./backends.ts";
import json from "./exporters/json.ts";
import csv from "./exporters/csv.ts";
import msgpack from "./exporters/msgpack.ts";
import prometheus from "./exporters/prometheus.ts";
import html from "./exporters/html.ts";
import clickhouse from "./exporters/clickhouse.ts";
import pushgateway from "./exporters/pushgateway.ts";

export const builtinPlugins: Plugin[] = [...builtinBackends, json, csv, msgpack, prometheus, html, clickhouse, pushgateway];
