// The two set-up commands of the README, on a machine that has only Node and npm:
//   node scripts/run.mjs demo — install, build what is stale (quietly), run the count-words example
//   node scripts/run.mjs test — install, then the whole test suite (scripts/test.sh)
// and, for CI after `test`: node scripts/run.mjs clusters — the opt-in suites that start a local
// Redis Cluster and a 3-node RabbitMQ cluster (scripts/test-clusters.sh)
// pnpm is pinned in package.json's packageManager; when the machine has another version (or
// none), the pinned one is installed under .tools/ with npm and put first on PATH for every
// child, since corepack cannot verify pnpm's signatures on every registry.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pinned = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).packageManager.split(
  "@",
)[1];
const isWindows = process.platform === "win32";

function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: "inherit",
    shell: isWindows,
    ...options,
  });
  if (result.error) throw result.error;
  return result;
}

function pnpmVersion(env) {
  const result = spawnSync("pnpm", ["--version"], { env, encoding: "utf8", shell: isWindows });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function ensurePnpm() {
  if (pnpmVersion(process.env) === pinned) return process.env;
  const prefix = join(root, ".tools", `pnpm-${pinned}`);
  const env = {
    ...process.env,
    PATH: `${join(prefix, "node_modules", ".bin")}${delimiter}${process.env.PATH ?? ""}`,
  };
  if (!existsSync(join(prefix, "node_modules", ".bin", "pnpm"))) {
    console.log(`Installing pnpm ${pinned} under .tools/ (the version this repository pins)`);
    const installed = run(
      "npm",
      [
        "install",
        "--prefix",
        prefix,
        "--no-save",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        `pnpm@${pinned}`,
      ],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
    if (installed.status !== 0) process.exit(installed.status ?? 1);
  }
  if (pnpmVersion(env) !== pinned) {
    console.error(`Could not run pnpm ${pinned} from ${prefix}`);
    process.exit(1);
  }
  return env;
}

const task = process.argv[2];
if (task !== "demo" && task !== "test" && task !== "clusters") {
  console.error("usage: node scripts/run.mjs demo|test|clusters");
  process.exit(2);
}
const env = ensurePnpm();
const quiet = task === "demo";
const install = run(
  "pnpm",
  ["install", "--frozen-lockfile", ...(quiet ? ["--reporter=silent"] : [])],
  { env },
);
if (install.status !== 0) process.exit(install.status ?? 1);

const steps =
  task === "demo"
    ? [
        ["node", [join("scripts", "build-stale.mjs")]],
        ["node", [join("examples", "count-words", "run.mjs")]],
      ]
    : [["bash", [join("scripts", task === "test" ? "test.sh" : "test-clusters.sh")]]];
for (const [command, args] of steps) {
  const result = run(command === "node" ? process.execPath : command, args, { env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
