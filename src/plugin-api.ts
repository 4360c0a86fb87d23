/**
 * What a plugin may import: the contracts and helpers, served to plugins
 * loaded at run time as the virtual module `vbench/plugin`.
 */
export * from "./core/types.ts";
export { defineBackend, defineExporter } from "./core/registry.ts";
export { VbenchError, ExitCode } from "./core/errors.ts";
export { createSseFramer } from "./core/sse.ts";
export * as v from "valibot";
