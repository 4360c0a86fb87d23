/**
 * The built-in backends on their own: a dispatch thread (src/dispatch-worker.ts)
 * loads these and nothing else (no exporters), so it starts small.
 */
import type { BackendPlugin } from "../src/base/plugin-types.ts";
import openaiChat from "./backends/openai-chat.ts";
import openai from "./backends/openai.ts";
import tgi from "./backends/tgi.ts";

export const builtinBackends: BackendPlugin[] = [openaiChat, openai, tgi];
