/** A prepared `/v1/completions` request (8 output tokens) for tests that drive a TimedRequest by hand. */
import openai from "../../plugins/backends/openai.ts";
import { prepareRequest } from "../../src/engine/prepare-request.ts";
import { parseOrigin } from "../../src/engine/http.ts";
import type { ResolvedScenario } from "../../src/base/scenario-types.ts";

export const completionsRequest = prepareRequest(
  parseOrigin("http://127.0.0.1:8000"),
  { endpointPath: "/v1/completions", servedModel: "m", sampling: {}, extraBody: {} } as unknown as ResolvedScenario,
  openai,
  {},
  { prompt: "hello", inputTokens: 1, outputTokens: 8 } as never,
  true,
);
