import { afterAll, describe, expect, test } from "bun:test";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RecordStream, checkWritableDir, ioHint, writeFileAtomic } from "../../src/base/atomic-write.ts";
import { ExitCode, VbenchError } from "../../src/base/errors.ts";
import { rejection } from "../helpers/errors.ts";
import { ownedByRunner, unprivileged } from "../helpers/unprivileged.ts";
import { REPO } from "../helpers/vbench.ts";

const root = await mkdtemp(join(tmpdir(), "vbench-atomic-"));
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const caught = rejection;

describe("writeFileAtomic", () => {
  test("writes and replaces a file, leaving no temporary file", async () => {
    const dir = join(root, "ok");
    await mkdir(dir);
    await writeFileAtomic(join(dir, "a.json"), "first");
    await writeFileAtomic(join(dir, "a.json"), new Uint8Array([0x68, 0x69]));
    expect(await readFile(join(dir, "a.json"), "utf8")).toBe("hi");
    expect(await readdir(dir)).toEqual(["a.json"]);
  });

  test("a failure after the temporary file exists removes it and throws write_failed (io)", async () => {
    const dir = join(root, "fail");
    await mkdir(join(dir, "target"), { recursive: true });
    // Renaming a file over a directory fails after the temp file was written.
    const err = await caught(writeFileAtomic(join(dir, "target"), "data"));
    expect(err.code).toBe("write_failed");
    expect(err.exitCode).toBe(ExitCode.io);
    expect(await readdir(dir)).toEqual(["target"]);
  });

  test("a missing directory gives the missing-directory hint", async () => {
    const err = await caught(writeFileAtomic(join(root, "nope", "x.json"), "data"));
    expect(err.exitCode).toBe(ExitCode.io);
    expect(err.hint).toContain("does not exist");
  });
});

describe("ioHint", () => {
  test("distinguishes disk full, permissions and missing directory", () => {
    expect(ioHint("ENOSPC", "/r/x")).toContain("disk is full");
    expect(ioHint("EACCES", "/r/x")).toContain("No permission");
    expect(ioHint("EPERM", "/r/x")).toContain("No permission");
    expect(ioHint("ENOENT", "/r/x")).toContain("does not exist");
    expect(ioHint("ENOTDIR", "/r/x")).toContain("not a directory");
  });
});

describe("checkWritableDir", () => {
  test("creates a nested directory when asked and leaves no probe behind", async () => {
    const dir = join(root, "made", "deep");
    await checkWritableDir(dir, { create: true });
    expect((await stat(dir)).isDirectory()).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });

  test("a missing directory without create is a config error", async () => {
    const err = await caught(checkWritableDir(join(root, "absent"), { create: false }));
    expect(err.code).toBe("output_not_writable");
    expect(err.exitCode).toBe(ExitCode.config);
    expect(err.hint).toContain("does not exist");
  });

  test("an unwritable directory is a config error with a useful hint (checked as nobody when the tests run as root)", async () => {
    // Root ignores permission bits: the check runs in a child process as an unprivileged user, on a directory that user owns without write permission.
    const dir = await mkdtemp(join(tmpdir(), "vbench-atomic-perm-"));
    await chmod(dir, 0o755);
    const ro = join(dir, "ro");
    await mkdir(ro);
    ownedByRunner(ro, 0o555);
    const script = `const { checkWritableDir } = await import(${JSON.stringify(join(REPO, "src/base/atomic-write.ts"))});
      try { await checkWritableDir(process.argv[1], { create: false }); console.log("{}"); }
      catch (e) { console.log(JSON.stringify({ code: e.code, exitCode: e.exitCode, hint: e.hint })); }`;
    const child = Bun.spawn(unprivileged([process.execPath, "-e", script, ro]), { cwd: REPO, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir }, stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    expect(code, err).toBe(0);
    expect(JSON.parse(out)).toEqual({ code: "output_not_writable", exitCode: ExitCode.config, hint: `No permission to write in ${ro}: fix its permissions/owner or set OUTPUT_DIR to a writable directory.` });
    expect(await readdir(ro)).toEqual([]);
    await rm(dir, { recursive: true, force: true });
  });

  test("a path below a regular file is a config error naming that", async () => {
    await writeFile(join(root, "plain-file"), "x");
    const err = await caught(checkWritableDir(join(root, "plain-file", "sub"), { create: true }));
    expect(err.exitCode).toBe(ExitCode.config);
    expect(err.hint).toContain("not a directory");
  });
});

describe("RecordStream", () => {
  test("buffers lines and writes them all in order on close", async () => {
    const path = join(root, "records.jsonl");
    const s = new RecordStream();
    await s.open(path, { flushIntervalMs: 3_600_000 });
    for (let i = 0; i < 3; i++) s.write(JSON.stringify({ i }));
    await s.close();
    expect(await readFile(path, "utf8")).toBe('{"i":0}\n{"i":1}\n{"i":2}\n');
    await s.close(); // second close is a no-op
  });

  test("writes once the buffer passes 64 KiB, without waiting for the timer", async () => {
    const path = join(root, "big.jsonl");
    const s = new RecordStream();
    await s.open(path, { flushIntervalMs: 3_600_000 });
    const line = "x".repeat(1023);
    for (let i = 0; i < 70; i++) s.write(line);
    const deadline = Date.now() + 5000;
    while ((await stat(path)).size === 0 && Date.now() < deadline) await Bun.sleep(5);
    expect((await stat(path)).size).toBeGreaterThanOrEqual(64 * 1024);
    await s.close();
    expect((await stat(path)).size).toBe(70 * 1024);
  });

  test("a full disk (/dev/full) surfaces as VbenchError io with the disk-full hint", async () => {
    expect(existsSync("/dev/full")).toBe(true);
    const s = new RecordStream();
    await s.open("/dev/full");
    s.write("a record");
    const err = await caught(s.flush());
    expect(err.code).toBe("write_failed");
    expect(err.exitCode).toBe(ExitCode.io);
    expect(err.hint).toContain("disk is full");
    expect(() => s.write("next")).toThrow(VbenchError);
    await caught(s.close());
  });

  test("opening in a missing directory fails with exit code io", async () => {
    const err = await caught(new RecordStream().open(join(root, "missing", "r.jsonl")));
    expect(err.exitCode).toBe(ExitCode.io);
  });
});
