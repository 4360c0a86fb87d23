/**
 * raw.msgpack: a complete, lossless copy of one scenario result (every record
 * with every chunk timestamp, the summary, the resolved scenario, run info and
 * threshold verdicts), so any export can be re-rendered later without
 * re-running (`vbench export`).
 *
 * Float64Arrays travel as a msgpack extension (type 1: little-endian float64
 * bytes) and come back as Float64Arrays. Numbers are msgpack float64, so NaN
 * and Infinity survive. `undefined` properties are omitted, so a decoded
 * result re-encodes to the same bytes.
 */
import { decode, encode, ExtensionCodec } from "@msgpack/msgpack";
import type { ScenarioResult } from "../base/scenario-types.ts";
import { ExitCode, VbenchError, errorMessage } from "../base/errors.ts";
import { scenarioForOutput } from "./result-docs.ts";

export const RAW_SCHEMA = "vbench.raw/1";
const EXT_FLOAT64_LE = 1;
const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

const codec = new ExtensionCodec();
codec.register({
  type: EXT_FLOAT64_LE,
  encode(value: unknown): Uint8Array | null {
    if (!(value instanceof Float64Array)) return null;
    const out = new Uint8Array(value.length * 8);
    if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    } else {
      const view = new DataView(out.buffer);
      for (let i = 0; i < value.length; i++) view.setFloat64(i * 8, value[i], true);
    }
    return out;
  },
  decode(data: Uint8Array): Float64Array {
    const n = data.byteLength / 8;
    const out = new Float64Array(n);
    // Copy: the decoder's buffer is shared and unaligned.
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
    return out;
  },
});

interface RawDocument {
  schema: string;
  scenario: ScenarioResult["scenario"];
  run: ScenarioResult["run"];
  summary: ScenarioResult["summary"];
  thresholds: ScenarioResult["thresholds"];
  records: ScenarioResult["records"];
}

export function encodeRaw(result: ScenarioResult): Uint8Array {
  const doc: RawDocument = {
    schema: RAW_SCHEMA,
    // Secret header values (API keys, tokens) never reach a file, this one included.
    scenario: { ...result.scenario, headers: scenarioForOutput(result.scenario).headers as Record<string, string> },
    run: result.run,
    summary: result.summary,
    thresholds: result.thresholds,
    records: result.records,
  };
  return encode(doc, { extensionCodec: codec, ignoreUndefined: true, initialBufferSize: 64 * 1024 });
}

function invalid(message: string, cause?: unknown): VbenchError {
  return new VbenchError("raw_invalid", `not a vbench raw file: ${message}`, {
    hint: "Pass the raw.msgpack written by the msgpack exporter of `vbench run`.",
    exitCode: ExitCode.config,
    cause,
  });
}

export function decodeRaw(bytes: Uint8Array): ScenarioResult {
  let doc: unknown;
  try {
    doc = decode(bytes, { extensionCodec: codec });
  } catch (e) {
    throw invalid(errorMessage(e), e);
  }
  const d = doc as Partial<RawDocument> | null;
  if (!d || typeof d !== "object") throw invalid("not a msgpack map");
  if (typeof d.schema !== "string" || !d.schema.startsWith("vbench.raw/")) throw invalid(`schema is ${JSON.stringify(d.schema)}`);
  if (d.schema !== RAW_SCHEMA) {
    throw new VbenchError("raw_version", `raw file schema ${d.schema} is newer than this vbench understands (${RAW_SCHEMA})`, {
      hint: "Use the vbench version that wrote the file, or a newer one.",
      exitCode: ExitCode.config,
    });
  }
  if (!d.scenario || !d.run || !d.summary || !Array.isArray(d.records) || !Array.isArray(d.thresholds)) {
    throw invalid("scenario, run, summary, thresholds or records missing");
  }
  return { scenario: d.scenario, records: d.records, summary: d.summary, run: d.run, thresholds: d.thresholds };
}
