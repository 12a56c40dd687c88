import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./snippets.js";

/** A published package of the workspace. */
export interface PublicPackage {
  name: string;
  dir: string;
  /** Its entry points as `import` specifiers: `@taskq/core`, `@taskq/core/testing`. */
  entries: string[];
  /** The entries that have no `require` condition: documented as ESM only. */
  esmOnly: string[];
}

/** The workspace's public (not private) packages under packages/. */
export function publicPackages(): PublicPackage[] {
  const found: PublicPackage[] = [];
  for (const entry of readdirSync(join(ROOT, "packages"), { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = join(ROOT, "packages", entry.name);
    let manifest: { name: string; private?: boolean; exports?: Record<string, unknown> };
    try {
      manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    } catch {
      continue;
    }
    if (manifest.private) continue;
    const exportsMap = (manifest.exports ?? { ".": {} }) as Record<string, unknown>;
    const spec = (k: string) => (k === "." ? manifest.name : `${manifest.name}/${k.slice(2)}`);
    const keys = Object.keys(exportsMap).filter((k) => k !== "./package.json");
    const esmOnly = keys
      .filter((k) => {
        const target = exportsMap[k];
        return typeof target === "object" && target !== null && !("require" in target);
      })
      .map(spec);
    found.push({ name: manifest.name, dir, entries: keys.map(spec), esmOnly });
  }
  return found;
}
