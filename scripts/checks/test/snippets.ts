import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** A fenced code block of a README. */
export interface Snippet {
  /** The README, relative to the root. */
  readme: string;
  /** The line of the opening fence (1-based). */
  line: number;
  lang: "ts" | "js" | "cjs";
  code: string;
  /**
   * `run`: typechecked and run to a natural exit; `typecheck`: needs a server, so only
   * typechecked (marked `<!-- snippet: typecheck -->` on the line before its fence).
   */
  mode: "run" | "typecheck";
}

export function readmes(): string[] {
  const found = [join(ROOT, "README.md")];
  for (const dir of ["packages", "examples"]) {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const file = join(ROOT, dir, entry.name, "README.md");
      try {
        readFileSync(file);
        found.push(file);
      } catch {
        // no README in that folder
      }
    }
  }
  return found;
}

const FENCE = /^```(\w*)/;
const LANGS: Record<string, "ts" | "js" | "cjs"> = {
  ts: "ts",
  typescript: "ts",
  js: "js",
  javascript: "js",
  mjs: "js",
  cjs: "cjs",
};

export function extractSnippets(file: string): Snippet[] {
  const lines = readFileSync(file, "utf8").split("\n");
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] as string);
    if (open === null) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !(lines[i] as string).startsWith("```"); i++) {
      body.push(lines[i] as string);
    }
    const lang = LANGS[(open[1] as string).toLowerCase()];
    if (lang === undefined) continue;
    let before = start - 1;
    while (before >= 0 && (lines[before] as string).trim() === "") before--;
    const marker = before >= 0 ? (lines[before] as string).trim() : "";
    snippets.push({
      readme: relative(ROOT, file),
      line: start + 1,
      lang,
      code: body.join("\n"),
      mode: marker === "<!-- snippet: typecheck -->" ? "typecheck" : "run",
    });
  }
  return snippets;
}
