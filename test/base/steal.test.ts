import { describe, expect, test } from "bun:test";
import { allowedCpus, stealMsPerCpu, stealSinceMs } from "../../src/base/steal.ts";

// /proc/stat of a 2-vCPU guest: user nice system idle iowait irq softirq steal guest guest_nice (USER_HZ ticks).
const STAT = `cpu  1773411 1627 425709 11175866 6891 0 143022 241719 0 0
cpu0 667835 589 221418 5789251 4273 0 81455 120877 0 0
cpu1 1105576 1037 204290 5386614 2618 0 61567 120842 0 0
intr 123 0 0
ctxt 456
`;

describe("steal time", () => {
  test("per CPU from /proc/stat's 8th figure, ticks of 10 ms; the all-CPU line left out", () => {
    expect(stealMsPerCpu(STAT)).toEqual([1_208_770, 1_208_420]);
    expect(stealMsPerCpu("")).toEqual([]);
  });

  test("the CPUs a process may use, from Cpus_allowed_list", () => {
    expect(allowedCpus("Name:\tvbench\nCpus_allowed:\t2\nCpus_allowed_list:\t1\n")).toEqual([1]);
    expect(allowedCpus("Cpus_allowed_list:\t0-3,6,8-9\n")).toEqual([0, 1, 2, 3, 6, 8, 9]);
    expect(allowedCpus("Name:\tvbench\n")).toBeNull();
    expect(allowedCpus("Cpus_allowed_list:\t0-x\n")).toBeNull();
  });

  test("this machine's own figures read as numbers for every CPU it has", () => {
    const perCpu = stealMsPerCpu();
    if (process.platform !== "linux") return void expect(perCpu).toEqual([]);
    for (const ms of perCpu) expect(ms).toBeGreaterThanOrEqual(0);
    const allowed = allowedCpus()!;
    expect(allowed.length).toBeGreaterThan(0);
    for (const cpu of allowed) expect(perCpu[cpu]).toBeNumber();
    // Since a reading taken long ago (all zeros): the whole steal since boot, summed over the CPUs asked for.
    const zeros = perCpu.map(() => 0);
    expect(stealSinceMs(zeros, allowed)).toBeCloseTo(allowed.reduce((sum, cpu) => sum + stealMsPerCpu()[cpu]!, 0), -2);
    expect(stealSinceMs(zeros, null)).toBeGreaterThanOrEqual(stealSinceMs(zeros, allowed)!);
    expect(stealSinceMs([], allowed)).toBe(0);
  });
});
