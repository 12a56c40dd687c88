import { spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { extractSnippets, readmes, type Snippet } from "./snippets.js";

// Every code block of every README is typechecked, and run to a natural exit unless it is
// marked as needing a server. Snippets are written inside this package, so `@taskq/*`
// imports resolve to the workspace's built packages exactly as a user's would.
const DIR = join(dirname(fileURLToPath(import.meta.url)), "..", ".snippets");
const snippets = readmes().flatMap(extractSnippets);

function fileOf(s: Snippet): string {
  const base = `${s.readme.replace(/[^a-zA-Z0-9]+/g, "_")}_L${s.line}`;
  const ext = { ts: "mts", js: "mjs", cjs: "cjs" }[s.lang];
  return join(DIR, `${base}.${ext}`);
}

function runNode(
  file: string,
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { cwd: DIR, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c) => {
      output += c;
    });
    child.stderr.on("data", (c) => {
      output += c;
    });
    const timer = setTimeout(() => {
      output += `\n(still running after ${timeoutMs} ms: killed)`;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe("README snippets", () => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  for (const s of snippets) {
    // `export {}` makes each snippet a module, so top-level await is allowed.
    writeFileSync(fileOf(s), s.lang === "cjs" ? `${s.code}\n` : `${s.code}\nexport {};\n`);
  }

  it("there are snippets to check", () => {
    expect(snippets.length).toBeGreaterThan(10);
  });

  it("every snippet typechecks (strict TypeScript; JavaScript checked as JS)", () => {
    const files = snippets.map(fileOf);
    const program = ts.createProgram(files, {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      allowJs: true,
      checkJs: true,
      noEmit: true,
      skipLibCheck: true,
      types: ["node"],
      lib: ["lib.es2023.d.ts", "lib.dom.d.ts"],
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const where =
        d.file && d.start !== undefined
          ? `${d.file.fileName.split("/").pop()}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}`
          : "";
      return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    });
    expect(problems).toEqual([]);
  });

  for (const s of snippets.filter((x) => x.mode === "run")) {
    it(`${s.readme}:${s.line} runs to a natural exit`, async () => {
      let file = fileOf(s);
      if (s.lang === "ts") {
        const js = ts.transpileModule(`${s.code}\nexport {};\n`, {
          compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
        }).outputText;
        file = file.replace(/\.mts$/, ".run.mjs");
        writeFileSync(file, js);
      }
      const { code, output } = await runNode(file, 30_000);
      expect({ code, output }).toEqual({ code: 0, output: expect.any(String) });
    });
  }
});
