import { parseArgs } from "node:util";
import { type Out, parseOrUsage, usage, withBroker } from "./admin.js";
import { ExitCode } from "./exit-codes.js";

/**
 * `taskq pause|resume <module> <queue>`: pause or resume a queue for every worker of the
 * fleet (kept on the broker's server, so it outlives worker restarts).
 */
export function pauseCommand(pause: boolean) {
  const name = pause ? "pause" : "resume";
  const USAGE = `Usage: taskq ${name} <module> <queue> [--path DIR]`;
  return async (argv: string[], out: Out): Promise<number> => {
    const { values, positionals } = parseOrUsage(USAGE, () =>
      parseArgs({
        args: argv,
        allowPositionals: true,
        options: { path: { type: "string", short: "P", multiple: true } },
      }),
    );
    const [module, queue] = positionals;
    if (module === undefined || queue === undefined || positionals.length > 2) throw usage(USAGE);
    return withBroker([module], values.path ?? [], async (broker) => {
      if (!broker.getDeclaredQueues().has(queue)) {
        throw usage(
          `No queue ${queue} in ${module}; it declares: ${[...broker.getDeclaredQueues()].sort().join(", ")}`,
        );
      }
      if (pause) await broker.pauseQueue(queue);
      else await broker.resumeQueue(queue);
      out(
        pause
          ? `Paused ${queue}: no worker starts its messages until \`taskq resume ${module} ${queue}\`.`
          : `Resumed ${queue}.`,
      );
      return ExitCode.ok;
    });
  };
}
