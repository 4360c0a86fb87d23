import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RecordLog } from "../../src/core/record-log.ts";
import { sampleRecord as record } from "../helpers/records.ts";

const indexes = (path: string): number[] =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { index: number }).index);

describe("RecordLog", () => {
  test("the timer drains in slices: records added mid-drain and a flush in between each land once, in order", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "vbench-recordlog-")), "requests.jsonl");
    const log = new RecordLog();
    await log.open(path);
    for (let i = 0; i < 1000; i++) log.add(record(i));
    // The 250 ms timer starts a sliced drain. Polling once per turn of the event loop (as the slices are
    // scheduled) sees it under way after its first slice or two, far from finished at 32 per turn.
    while (log.written === 0) await new Promise((resolve) => setImmediate(resolve));
    expect(log.written).toBeGreaterThanOrEqual(32);
    expect(log.written).toBeLessThanOrEqual(96);
    for (let i = 1000; i < 1100; i++) log.add(record(i));
    await log.flush();
    expect(log.written).toBe(1100);
    expect(indexes(path)).toEqual(Array.from({ length: 1100 }, (_, i) => i));
    // The slice still queued when flush() took over finds nothing left to write.
    await Bun.sleep(10);
    log.add(record(1100));
    await log.close();
    expect(indexes(path)).toEqual(Array.from({ length: 1101 }, (_, i) => i));
  });
});
