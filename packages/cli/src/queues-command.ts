import { parseArgs } from "node:util";
import { type Out, parseOrUsage, table, usage, withBroker } from "./admin.js";
import { ExitCode } from "./exit-codes.js";

const USAGE = "Usage: taskq queues <module...> [--path DIR]";

/** `taskq queues <module...>`: per declared queue, ready / delayed / dead / in progress / paused. */
export async function queuesCommand(argv: string[], out: Out): Promise<number> {
  const { values, positionals } = parseOrUsage(USAGE, () =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      options: { path: { type: "string", short: "P", multiple: true } },
    }),
  );
  if (positionals.length === 0) throw usage(USAGE);
  return withBroker(positionals, values.path ?? [], async (broker) => {
    const rows = [["queue", "ready", "delayed", "dead", "in progress", "paused"]];
    const paused = new Set(await broker.pausedQueues());
    for (const queue of [...broker.getDeclaredQueues()].sort()) {
      const c = await broker.getQueueMessageCounts(queue);
      rows.push([
        queue,
        String(c.ready),
        String(c.delayed),
        String(c.dead),
        c.inProgress === undefined ? "-" : String(c.inProgress),
        paused.has(queue) ? "yes" : "no",
      ]);
    }
    out(table(rows));
    return ExitCode.ok;
  });
}
