import { join } from "node:path";
import madge from "madge";
import { describe, expect, it } from "vitest";
import { publicPackages } from "./packages.js";
import { ROOT } from "./snippets.js";

// Runtime import cycles only: type-only imports vanish from the build, so they cannot make
// a module see another half-initialised.
describe.each(publicPackages())("$name", (pkg) => {
  it("has no runtime import cycle among its sources", async () => {
    const graph = await madge(join(pkg.dir, "src"), {
      fileExtensions: ["ts"],
      tsConfig: join(ROOT, "tsconfig.base.json"),
      detectiveOptions: { ts: { skipTypeImports: true } },
    });
    // Every relative import resolved (else a cycle through it would go unseen).
    expect(graph.warnings().skipped).toEqual([]);
    expect(Object.keys(graph.obj()).length).toBeGreaterThan(0);
    expect(graph.circular()).toEqual([]);
  });
});
