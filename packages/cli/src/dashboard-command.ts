import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { getLogger } from "@taskq/core";
import { parseOrUsage, usage } from "./admin.js";
import { loadBroker } from "./connect.js";
import { CliError, ExitCode } from "./exit-codes.js";
import { configureLogging } from "./logging.js";
import { importModules } from "./modules.js";

const USAGE =
  "Usage: taskq dashboard <module> [--port 9181] [--host 127.0.0.1] [--read-only] [--path DIR]";

function hasMethods(value: unknown, ...names: string[]): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    names.every((n) => typeof (value as Record<string, unknown>)[n] === "function")
  );
}

/** The dashboard package, loaded only by this command so the CLI does not depend on it. */
async function loadDashboard(): Promise<typeof import("@taskq/dashboard")> {
  try {
    return await import("@taskq/dashboard");
  } catch (err) {
    throw new CliError(
      ExitCode.importOrBroker,
      "taskq dashboard needs the @taskq/dashboard package: npm install @taskq/dashboard",
      { cause: err },
    );
  }
}

/**
 * `taskq dashboard <module>`: serve `@taskq/dashboard` for the module's broker, its
 * MessageState and Cancel middleware (when it has them) and its `scheduler` export, on loopback by
 * default, until SIGTERM or SIGINT (exit 0).
 */
export async function dashboardCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseOrUsage(USAGE, () =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        port: { type: "string", default: "9181" },
        host: { type: "string", default: "127.0.0.1" },
        "read-only": { type: "boolean", default: false },
        path: { type: "string", short: "P", multiple: true },
        verbose: { type: "boolean", short: "v" },
      },
    }),
  );
  const [module] = positionals;
  if (module === undefined || positionals.length > 1) throw usage(USAGE);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw usage(`--port must be a port number from 0 to 65535, got ${JSON.stringify(values.port)}`);
  configureLogging("MainProcess", values.verbose ?? false, undefined);
  const log = getLogger("taskq.cli");
  const { createDashboard } = await loadDashboard();
  const broker = await loadBroker({ modules: [module], paths: values.path ?? [] });
  const [exports] = await importModules([module], values.path ?? []);
  const scheduler = [exports?.scheduler, exports?.default].find((v) =>
    hasMethods(v, "list", "trigger", "start"),
  );
  const states = broker.middleware.find((m) => hasMethods(m, "get", "list", "count", "waitFor"));
  // Core brands its Cancel middleware with a registered symbol, so this finds it whether the
  // module loaded core's ESM or CJS build.
  const cancel = broker.middleware.find(
    (m) => (m as unknown as Record<symbol, unknown>)[Symbol.for("@taskq/core.Cancel")] === true,
  );
  const handler = createDashboard({
    broker,
    readOnly: values["read-only"],
    ...(scheduler === undefined ? {} : { scheduler: scheduler as never }),
    ...(states === undefined ? {} : { states: states as never }),
    ...(cancel === undefined ? {} : { cancel: cancel as never }),
  });
  const server = createServer(handler);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, values.host, resolve);
    });
  } catch (err) {
    await broker.close();
    throw new CliError(
      ExitCode.importOrBroker,
      `Could not listen on ${values.host}:${port}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const address = server.address();
  const shown = typeof address === "object" && address !== null ? address.port : port;
  const host = values.host.includes(":") ? `[${values.host}]` : values.host;
  log.info(`The dashboard is on http://${host}:${shown}/ ; SIGTERM or SIGINT stops it.`);
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  // Event streams never end by themselves: close them so the server can.
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await broker.close().catch((err: unknown) => log.warn({ err }, "Could not close the broker."));
  log.info("The dashboard stopped.");
  return ExitCode.ok;
}
