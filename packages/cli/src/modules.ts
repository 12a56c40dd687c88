import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { loadActorModule } from "@taskq/core";
import { resolve as resolveImport } from "import-meta-resolve";
import { CliError, ExitCode } from "./exit-codes.js";

const TYPESCRIPT = /\.(c|m)?tsx?$/;

/**
 * Where the application's imports resolve from: its working directory. Package names go
 * through Node's ESM resolution (the `import` condition), as the application's own
 * `import` would: a `require` resolution would pick a dual package's CJS entry, whose
 * `@taskq/core` is another instance than the one the CLI reads the broker from.
 */
function applicationUrl(): string {
  return pathToFileURL(join(process.cwd(), "noop.js")).href;
}

/** A module argument as something `import()` takes: a file URL, or a package's entry URL. */
export function resolveModule(spec: string, paths: readonly string[]): string {
  const bases = [process.cwd(), ...paths.map((p) => resolve(p))];
  for (const base of bases) {
    const file = isAbsolute(spec) ? spec : join(base, spec);
    if (existsSync(file)) return pathToFileURL(file).href;
  }
  if (spec.startsWith(".") || spec.startsWith("/") || /\.(c|m)?[jt]sx?$/.test(spec)) {
    throw new CliError(
      ExitCode.importOrBroker,
      `Module ${spec} not found (looked in ${bases.join(", ")})`,
    );
  }
  try {
    return resolveImport(spec, applicationUrl());
  } catch (err) {
    throw new CliError(
      ExitCode.importOrBroker,
      `Module ${spec} not found: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** The URL of the application's `tsx/esm/api`; exit 2 saying how to get it when there is none. */
function tsxApi(): string {
  try {
    return resolveImport("tsx/esm/api", applicationUrl());
  } catch (err) {
    throw new CliError(
      ExitCode.importOrBroker,
      `Loading TypeScript modules needs tsx in the application (npm install --save-dev tsx): ${(err as Error).message}`,
      { cause: err },
    );
  }
}

export function needsTypeScript(specs: readonly string[]): boolean {
  return specs.some((s) => TYPESCRIPT.test(s));
}

/**
 * Make this process able to import TypeScript, through the application's own tsx and its
 * ESM API. Resolved with the `import` condition on purpose: tsx's `require` entry of
 * `tsx/esm/api` cannot register its loader (tsx 4.23 fails with "Cannot find module
 * …/dist/esm/api/esm/index.mjs").
 */
export async function registerTypeScript(): Promise<void> {
  const api = tsxApi();
  const { register } = (await import(api)) as { register: () => unknown };
  // Global (not tsImport's per-call scope): every later import in this process is covered.
  register();
}

/**
 * What an isolation thread (or process) imports before the actor modules so it can load them
 * too, when any is TypeScript: a module calling the application's tsx `register()`, as this
 * process did (a loader registered here does not reach the threads it starts, and tsx's
 * `tsx/esm` entry registers itself in the main thread only). A `data:` URL: nothing to ship.
 */
export function isolationPreload(specs: readonly string[]): string[] {
  if (!needsTypeScript(specs)) return [];
  const api = tsxApi();
  return [
    `data:text/javascript,${encodeURIComponent(`import{register}from${JSON.stringify(api)};register();`)}`,
  ];
}

/** Import the modules in order; an import failure is exit 2 with its error. Resolves to their exports. */
export async function importModules(
  specs: readonly string[],
  paths: readonly string[],
): Promise<Record<string, unknown>[]> {
  if (needsTypeScript(specs)) await registerTypeScript();
  const namespaces: Record<string, unknown>[] = [];
  for (const spec of specs) {
    const url = resolveModule(spec, paths);
    try {
      // Isolated actors the module declares learn its URL: pool threads import it to run them.
      namespaces.push(await loadActorModule(url, () => import(url)));
    } catch (err) {
      const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
      throw new CliError(ExitCode.importOrBroker, `Could not import module ${spec}:\n${detail}`, {
        cause: err,
      });
    }
  }
  return namespaces;
}
