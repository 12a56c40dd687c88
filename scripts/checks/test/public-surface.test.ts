import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type PublicPackage, publicPackages } from "./packages.js";
import { undocumentedNames } from "./surface.js";

/** The built ESM typings of each entry: `@taskq/core/testing` is `dist/testing/index.d.ts`. */
function typings(pkg: PublicPackage): string[] {
  return pkg.entries.map((entry) => {
    const sub = entry === pkg.name ? "" : entry.slice(pkg.name.length + 1);
    return join(pkg.dir, "dist", sub, "index.d.ts");
  });
}

describe.each(publicPackages())("$name typings", (pkg) => {
  it("publish only documented API: every exported name and public member has a doc comment", () => {
    const files = typings(pkg);
    for (const file of files) expect(existsSync(file), `${file} is built`).toBe(true);
    const undocumented = undocumentedNames(files).map((u) => u.name);
    expect(undocumented, "undocumented names in the published typings").toEqual([]);
  });
});
