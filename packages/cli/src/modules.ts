import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { CliError, ExitCode } from "./exit-codes.js";

const TYPESCRIPT = /\.(c|m)?tsx?$/;

/** A module argument as something `import()` takes: a file URL, or a package name as given. */
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
  // A package name: resolved from the working directory, as the application would.
  try {
    return pathToFileURL(createRequire(join(process.cwd(), "noop.js")).resolve(spec)).href;
  } catch (err) {
    throw new CliError(
      ExitCode.importOrBroker,
      `Module ${spec} not found: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

export function needsTypeScript(specs: readonly string[]): boolean {
  return specs.some((s) => TYPESCRIPT.test(s));
}

/** Where tsx is for this application, or undefined. */
export function findTsx(): string | undefined {
  try {
    return createRequire(join(process.cwd(), "noop.js")).resolve("tsx/esm/api");
  } catch {
    return undefined;
  }
}

/** Make this process able to import TypeScript (through the application's tsx). */
export async function registerTypeScript(): Promise<void> {
  const api = findTsx();
  if (api === undefined) {
    throw new CliError(
      ExitCode.importOrBroker,
      "Loading TypeScript modules needs tsx: npm install --save-dev tsx",
    );
  }
  const { register } = (await import(pathToFileURL(api).href)) as { register: () => unknown };
  register();
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
      namespaces.push(await import(url));
    } catch (err) {
      const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
      throw new CliError(ExitCode.importOrBroker, `Could not import module ${spec}:\n${detail}`, {
        cause: err,
      });
    }
  }
  return namespaces;
}
