/**
 * What a plugin may import: the contracts and helpers, served to plugins
 * loaded at run time as the virtual module `vbench/plugin`.
 */
export * from "./base/request-types.ts";
export * from "./base/summary-types.ts";
export * from "./base/scenario-types.ts";
export * from "./base/plugin-types.ts";
export { defineBackend, defineExporter } from "./plugin-host/registry.ts";
export { VbenchError, ExitCode } from "./base/errors.ts";
export { createSseFramer } from "./wire/sse.ts";
export * as v from "valibot";
