import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { afterAll, describe, expect, it } from "vitest";
import { publicPackages } from "./packages.js";
import { ROOT } from "./snippets.js";

const run = promisify(execFile);
const packages = publicPackages();
const CHECKS = join(ROOT, "scripts", "checks");
const packed = mkdtempSync(join(tmpdir(), "taskq-pack-"));
afterAll(() => rmSync(packed, { recursive: true, force: true }));

describe.each(packages)("$name as published", (pkg) => {
  it("loads from both import and require, with the same exported names", async () => {
    for (const entry of pkg.entries) {
      const esm = await run(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          `const m = await import(${JSON.stringify(entry)}); console.log(JSON.stringify(Object.keys(m).filter((k) => k !== "default").sort()))`,
        ],
        { cwd: CHECKS },
      );
      if (pkg.esmOnly.includes(entry)) {
        const refused = await run(process.execPath, ["-e", `require(${JSON.stringify(entry)})`], {
          cwd: CHECKS,
        }).catch((err: { stderr?: string }) => ({ stderr: err.stderr ?? "" }));
        expect(refused.stderr, `${entry} is documented as ESM only`).toMatch(
          /ERR_PACKAGE_PATH_NOT_EXPORTED|ERR_REQUIRE_ESM/,
        );
        continue;
      }
      const cjs = await run(
        process.execPath,
        [
          "-e",
          `const m = require(${JSON.stringify(entry)}); console.log(JSON.stringify(Object.keys(m).sort()))`,
        ],
        { cwd: CHECKS },
      );
      const names = JSON.parse(esm.stdout) as string[];
      expect(names.length, `${entry} exports something`).toBeGreaterThan(0);
      expect(JSON.parse(cjs.stdout), `${entry}: require() and import() agree`).toEqual(names);
    }
  });

  it("is clean under publint and @arethetypeswrong/cli (node16 and bundler resolution)", async () => {
    const dest = mkdtempSync(join(packed, "p-"));
    await run("pnpm", ["pack", "--pack-destination", dest], { cwd: pkg.dir });
    const tarball = join(dest, readdirSync(dest)[0] as string);
    const { messages, pkg: manifest } = await publint({ pkgDir: pkg.dir, level: "suggestion" });
    expect(messages.map((m) => formatMessage(m, manifest))).toEqual([]);
    // attw's exit code applies the profile and ignored rules; its table says what failed.
    const attw = await run(
      join(CHECKS, "node_modules", ".bin", "attw"),
      [
        tarball,
        "--format",
        "table-flipped",
        "--no-color",
        "--profile",
        "node16",
        // An ESM-only subpath (documented as such) resolves to ESM from CJS by design.
        ...(pkg.esmOnly.length > 0 ? ["--ignore-rules", "cjs-resolves-to-esm"] : []),
      ],
      { cwd: CHECKS },
    ).then(
      (out) => ({ ok: true, output: out.stdout }),
      (err: { stdout?: string; stderr?: string }) => ({
        ok: false,
        output: `${err.stdout ?? ""}${err.stderr ?? ""}`,
      }),
    );
    expect(attw, attw.output).toMatchObject({ ok: true });
  });
});
