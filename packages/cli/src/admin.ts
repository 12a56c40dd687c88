import { parseArgs } from "node:util";
import type { Broker } from "@taskq/core";
import { getLogger } from "@taskq/core";
import { CliError, ExitCode } from "./exit-codes.js";
import { configureLogging } from "./logging.js";
import { loadBroker } from "./worker-process.js";

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function usage(message: string): CliError {
  return new CliError(ExitCode.importOrBroker, message);
}

async function withBroker<T>(
  modules: string[],
  paths: string[],
  run: (broker: Broker) => Promise<T>,
): Promise<T> {
  configureLogging("MainProcess", false, undefined);
  const broker = await loadBroker({ modules, paths });
  try {
    return await run(broker);
  } finally {
    await broker
      .close()
      .catch((err: unknown) => getLogger("taskq.cli").warn({ err }, "Could not close the broker."));
  }
}

/** `taskq queues <module...>`: per declared queue, ready / delayed / dead / in progress. */
export async function queuesCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { path: { type: "string", short: "P", multiple: true } },
  });
  if (positionals.length === 0) throw usage("Usage: taskq queues <module...>");
  return withBroker(positionals, values.path ?? [], async (broker) => {
    const rows = [["queue", "ready", "delayed", "dead", "in progress"]];
    for (const queue of [...broker.getDeclaredQueues()].sort()) {
      const c = await broker.getQueueMessageCounts(queue);
      rows.push([
        queue,
        String(c.ready),
        String(c.delayed),
        String(c.dead),
        c.inProgress === undefined ? "-" : String(c.inProgress),
      ]);
    }
    out(table(rows));
    return ExitCode.ok;
  });
}

/** `taskq dead-letters <module> <queue> [--requeue | --purge]`. */
export async function deadLettersCommand(
  argv: string[],
  out: (line: string) => void,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      requeue: { type: "boolean" },
      purge: { type: "boolean" },
      limit: { type: "string" },
      path: { type: "string", short: "P", multiple: true },
    },
  });
  const [module, queue] = positionals;
  if (module === undefined || queue === undefined || positionals.length > 2) {
    throw usage("Usage: taskq dead-letters <module> <queue> [--requeue | --purge] [--limit N]");
  }
  if (values.requeue && values.purge) throw usage("--requeue and --purge do not go together");
  return withBroker([module], values.path ?? [], async (broker) => {
    if (!broker.getDeclaredQueues().has(queue))
      throw usage(`Queue ${queue} is not declared by ${module}`);
    if (values.requeue) {
      out(`Requeued ${await broker.requeueDeadLetters(queue)} dead letter(s) of ${queue}.`);
    } else if (values.purge) {
      out(`Purged ${await broker.purgeDeadLetters(queue)} dead letter(s) of ${queue}.`);
    } else {
      const limit = values.limit === undefined ? 100 : Number(values.limit);
      const letters = await broker.getDeadLetters(queue, { limit });
      const rows = [["message id", "message"]];
      for (const letter of letters) {
        rows.push([
          letter.message?.messageId ?? `(undecodable ${letter.id})`,
          letter.message ? String(letter.message) : letter.data.slice(0, 80),
        ]);
      }
      out(table(rows));
      out(
        `${letters.length} dead letter(s) of ${queue}${letters.length === limit ? ` (first ${limit})` : ""}.`,
      );
    }
    return ExitCode.ok;
  });
}

/** `taskq send <module> <actor> [--args JSON]`. */
export async function sendCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { args: { type: "string" }, path: { type: "string", short: "P", multiple: true } },
  });
  const [module, actorName] = positionals;
  if (module === undefined || actorName === undefined || positionals.length > 2) {
    throw usage("Usage: taskq send <module> <actor> [--args JSON]");
  }
  let args: unknown[] = [];
  if (values.args !== undefined) {
    try {
      args = JSON.parse(values.args);
    } catch (err) {
      throw usage(`--args is not JSON: ${(err as Error).message}`);
    }
    if (!Array.isArray(args)) throw usage("--args must be a JSON array of arguments");
  }
  return withBroker([module], values.path ?? [], async (broker) => {
    const actor = broker.findActor(actorName);
    if (actor === undefined) {
      throw usage(
        `No actor ${actorName} in ${module}; it declares: ${[...broker.getDeclaredActors()].sort().join(", ")}`,
      );
    }
    const message = await actor.sendWithOptions({ args } as never);
    out(`Sent ${message} as message ${message.messageId} on ${message.queueName}.`);
    return ExitCode.ok;
  });
}
