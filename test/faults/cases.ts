/**
 * The fault cases: one list drives both the fault matrix test
 * (test/faults/matrix.test.ts runs each against the simulator through the
 * compiled binary) and the "what happens when..." table in docs/faults.md
 * (scripts/fault-table.ts prints it; test/faults/table.test.ts keeps the doc
 * in step). Change a case here and both follow.
 *
 * Every matrix case runs the same tiny scenario (RUN_PROMPTS requests, one at
 * a time, so run request i is the simulator's generation request i + 1: index
 * 0 is the initial test request, which fault selectors avoid) without
 * thresholds, so the implicit `success_rate: 1` gate must turn any failure
 * into exit code 4 (a `success_rate` threshold the run meets makes it 0).
 */
import type { FailureCategory } from "../../src/base/request-types.ts";
import type { MockOptions } from "../../src/mock/options.ts";

/** Requests in each matrix run (after the initial test request). */
export const RUN_PROMPTS = 6;
/** Tokens each request asks for. */
export const OUTPUT_TOKENS = 4;

/** Text of a status fault's body carrying terminal escape sequences (colour, window title, clear screen). */
export const ANSI_BODY = '{"error":{"message":"\x1b[31mRED\x1b[0m \x1b]0;pwned\x07 \x1b[2Jgone"}}';

export interface ExpectedFailure {
  /** Run request index (0-based, after the initial test request). */
  index: number;
  category: FailureCategory;
  /** Text the failure's message must contain. */
  message: string;
}

export interface MatrixCase {
  id: string;
  /** The situation ("what happens when..."). */
  when: string;
  /** What vbench does about it, for the table. */
  outcome: string;
  /** Simulator options; null = no server at all. */
  mock: Partial<MockOptions> | null;
  /** Fault specs (`KIND[=VALUE]@SELECTOR`) given to the simulator. */
  faults?: string[];
  /** Extra `vbench run` flags. */
  args?: string[];
  exit: number;
  /** The failures, by run index; every other request must succeed. Empty: all succeed. */
  failures: ExpectedFailure[];
  /** Generation requests the simulator must have received (no retries); default 1 + RUN_PROMPTS; null: not checked (it died). */
  serverReceived?: number | null;
  /** stderr must contain each of these. */
  stderrHas?: string[];
  /** A case-specific check in the matrix test. */
  check?: "slow-first-byte" | "huge-event" | "bad-utf8" | "http-body" | "no-escapes" | "stall-truth";
}

const fails = (category: FailureCategory, message: string, ...indices: number[]): ExpectedFailure[] => indices.map((index) => ({ index, category, message }));

const FAST: Partial<MockOptions> = { ttftMs: 2, itlMs: 1 };

export const MATRIX_CASES: MatrixCase[] = [
  {
    id: "http-500",
    when: "the server answers HTTP 500",
    outcome: "that request fails as `http` with the status and the first 1 KiB of the body kept; not retried; the run goes on",
    mock: FAST,
    faults: ["status=500@at:2"],
    exit: 4,
    failures: fails("http", "HTTP 500: {\"error\":{\"message\":\"Mock fault: HTTP 500\"", 1),
    check: "http-body",
  },
  {
    id: "http-503",
    when: "the server answers HTTP 503 (overloaded)",
    outcome: "`http`, status and body kept, not retried",
    mock: FAST,
    faults: ["status=503@at:2,4"],
    exit: 4,
    failures: fails("http", "HTTP 503", 1, 3),
    check: "http-body",
  },
  {
    id: "http-429",
    when: "the server answers HTTP 429 (rate limited)",
    outcome: "`http`, status and body kept, not retried (a benchmark counts failures, it does not hide them)",
    mock: FAST,
    faults: ["status=429@from:5"],
    exit: 4,
    failures: fails("http", "HTTP 429", 4, 5),
    check: "http-body",
  },
  {
    id: "refused",
    when: "nothing listens at the base URL",
    outcome: "preflight error before any request: `cannot reach the server`, no results written",
    mock: null,
    exit: 3,
    failures: [],
    stderrHas: ["cannot reach the server"],
  },
  {
    id: "killed",
    when: "the server dies mid-run",
    outcome: "the request in flight and every later one fail as `connect`; the run completes and writes its results",
    mock: { ...FAST, dieAfter: 3 },
    exit: 4,
    failures: fails("connect", "127.0.0.1", 2, 3, 4, 5),
    serverReceived: null,
  },
  {
    id: "cut",
    when: "the connection is cut mid-stream",
    outcome: "`truncated` (the stream ended before the backend's end marker); the tokens that arrived are not counted",
    mock: FAST,
    faults: ["cut=2@at:3"],
    exit: 4,
    failures: fails("truncated", "connection closed before the response ended", 2),
  },
  {
    id: "malformed",
    when: "a stream event is malformed JSON",
    outcome: "`stream`, with the start of the bad payload in the message",
    mock: FAST,
    faults: ["malformed=1@at:2"],
    exit: 4,
    failures: fails("stream", "malformed JSON", 1),
  },
  {
    id: "error-event-openai",
    when: "an OpenAI-style error event arrives inside a 200 stream",
    outcome: "`stream`, with the server's error message",
    mock: FAST,
    faults: ["error-event=2@at:2"],
    exit: 4,
    failures: fails("stream", "Mock fault: generation failed", 1),
  },
  {
    id: "error-event-tgi",
    when: "a TGI error event (`{\"error\", \"error_type\"}`) arrives in the stream (`--backend tgi`)",
    outcome: "`stream`, with the error type and message",
    mock: FAST,
    faults: ["error-event=1@at:4"],
    args: ["--backend", "tgi"],
    exit: 4,
    failures: fails("stream", "overloaded: Mock fault: generation failed", 3),
  },
  {
    id: "hang-timeout",
    when: "the server accepts a request and never answers",
    outcome: "`timeout` after `timeout_s` (default 21600 s = 6 h, as vLLM); the connection is dropped and the run goes on",
    mock: FAST,
    faults: ["hang@at:2"],
    args: ["--timeout-s", "0.4"],
    exit: 4,
    failures: fails("timeout", "timeout_s", 1),
  },
  {
    id: "stall-idle",
    when: "a stream goes silent mid-way (2 tokens, then nothing, connection open)",
    outcome: "`timeout` after `idle_timeout_s` (default 300 s) without a byte, long before `timeout_s`; the connection is dropped",
    mock: FAST,
    faults: ["stall=2@at:3"],
    args: ["--idle-timeout-s", "0.3"],
    exit: 4,
    failures: fails("timeout", "idle_timeout_s", 2),
    check: "stall-truth",
  },
  {
    id: "slow-first-byte",
    when: "the first byte comes very late (headers held back 300 ms)",
    outcome: "success; the wait is part of that request's TTFT",
    mock: FAST,
    faults: ["slow-headers=300@at:2"],
    exit: 0,
    failures: [],
    check: "slow-first-byte",
  },
  {
    id: "huge-event",
    when: "a single SSE event is larger than 1 MiB (1.5 MiB of text)",
    outcome: "success, counted like any other event (events up to 64 MiB are accepted)",
    mock: FAST,
    faults: ["huge-event@at:2"],
    args: ["--save-generated-text"],
    exit: 0,
    failures: [],
    check: "huge-event",
  },
  {
    id: "bad-utf8",
    when: "the generated text carries invalid UTF-8",
    outcome: "success; the bad bytes become U+FFFD, nothing crashes",
    mock: FAST,
    faults: ["bad-utf8@from:1"],
    args: ["--save-generated-text"],
    exit: 0,
    failures: [],
    check: "bad-utf8",
  },
  {
    id: "ansi-body",
    when: "the server's error text carries terminal escape sequences",
    outcome: "control characters are stripped wherever the text is printed; the files keep it JSON-escaped",
    mock: FAST,
    faults: [`status=500:${ANSI_BODY}@at:2`],
    args: ["--export", "json,csv"],
    exit: 4,
    failures: fails("http", "HTTP 500", 1),
    check: "no-escapes",
  },
];

/** Cases tested by their own files (interrupts, disk, configuration), listed in the same table. */
export interface OtherCase {
  id: string;
  when: string;
  outcome: string;
  /** The "Recorded as" column. */
  recorded: string;
  exit: number;
  /** The test file that checks it. */
  test: string;
}

export const OTHER_CASES: OtherCase[] = [
  {
    id: "sigint",
    recorded: "in-flight requests `cancelled`",
    when: "Ctrl-C (SIGINT) or SIGTERM during a run",
    outcome: "dispatching stops, in-flight requests fail as `cancelled`, results of everything finished are written",
    exit: 130,
    test: "test/faults/interrupt.test.ts",
  },
  {
    id: "sigint-twice",
    recorded: "in-flight requests `cancelled`",
    when: "a second Ctrl-C",
    outcome: "exits at once; every finished request is already in `requests.jsonl`",
    exit: 130,
    test: "test/faults/interrupt.test.ts",
  },
  {
    id: "output-not-dir",
    recorded: "nothing sent",
    when: "the output directory cannot be created (a path through a regular file) or is not writable",
    outcome: "preflight error naming the directory, before any request",
    exit: 2,
    test: "test/faults/disk.test.ts",
  },
  {
    id: "output-missing",
    recorded: "success",
    when: "the output directory does not exist",
    outcome: "it is created, with its missing parents",
    exit: 0,
    test: "test/faults/disk.test.ts",
  },
  {
    id: "write-fails",
    recorded: "what was written stays",
    when: "writing results fails during the run (disk full, directory removed)",
    outcome: "clear error with the path and what to do; results written before the failure stay",
    exit: 5,
    test: "test/faults/disk.test.ts",
  },
  {
    id: "bad-config",
    recorded: "nothing sent",
    when: "the configuration or a flag is wrong (not JSON, wrong types, unknown keys, bad names, counts or rates, unknown backend, exporter or threshold, unreadable tokenizer or dataset)",
    outcome: "every problem listed at once, with its path and a suggestion, before any traffic",
    exit: 2,
    test: "test/faults/config.test.ts",
  },
];
