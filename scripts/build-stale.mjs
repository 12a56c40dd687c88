// Builds the workspace packages whose dist is older than their sources (or missing), and
// the packages that depend on them, quietly: a package's build output is printed only when
// its build fails. Used by `npm run demo`, so a second run starts the demo at once.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const dirs = [
  ...readdirSync(join(root, "packages")).map((d) => join(root, "packages", d)),
  join(root, "scripts", "servers"),
].filter((d) => existsSync(join(d, "package.json")));

const packages = new Map();
for (const dir of dirs) {
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  if (!manifest.scripts?.build) continue;
  const deps = Object.entries({
    ...manifest.dependencies,
    ...manifest.devDependencies,
    ...manifest.peerDependencies,
  })
    .filter(([, range]) => String(range).startsWith("workspace:"))
    .map(([name]) => name);
  packages.set(manifest.name, { dir, deps });
}

function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = stat.mtimeMs;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

function oldestOutput(dir) {
  const dist = join(dir, "dist");
  if (!existsSync(dist)) return 0;
  const files = readdirSync(dist).filter((f) => /\.(c|m)?js$/.test(f));
  if (files.length === 0) return 0;
  return Math.min(...files.map((f) => statSync(join(dist, f)).mtimeMs));
}

const shared = newest(join(root, "tsup.base.ts"));
const stale = new Set();
for (const [name, { dir }] of packages) {
  const inputs = Math.max(
    shared,
    newest(join(dir, "src")),
    newest(join(dir, "package.json")),
    newest(join(dir, "tsup.config.ts")),
  );
  if (inputs > oldestOutput(dir)) stale.add(name);
}
// A package bundles or re-exports what it depends on, so its dependents are stale with it.
let grew = true;
while (grew) {
  grew = false;
  for (const [name, { deps }] of packages) {
    if (!stale.has(name) && deps.some((d) => stale.has(d))) {
      stale.add(name);
      grew = true;
    }
  }
}

const built = new Set();
function build(name) {
  if (built.has(name)) return;
  built.add(name);
  const { dir, deps } = packages.get(name);
  for (const dep of deps) if (stale.has(dep)) build(dep);
  const result = spawnSync("pnpm", ["run", "--silent", "build"], {
    cwd: dir,
    encoding: "utf8",
    shell: process.platform === "win32",
  });
  if (result.status !== 0) {
    process.stdout.write(result.stdout ?? "");
    process.stderr.write(result.stderr ?? "");
    console.error(`Building ${name} failed`);
    process.exit(result.status ?? 1);
  }
}
if (stale.size > 0) {
  console.log(`Building ${stale.size} package${stale.size === 1 ? "" : "s"}...`);
  for (const name of stale) build(name);
}
