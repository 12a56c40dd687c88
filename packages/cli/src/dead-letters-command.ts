import { parseArgs } from "node:util";
import { type Out, parseOrUsage, positiveInteger, usage, withBroker } from "./admin.js";
import { describeDeadLetter } from "./dead-letter-text.js";
import { ExitCode } from "./exit-codes.js";

const USAGE =
  "Usage: taskq dead-letters <module> <queue> [--limit N] [--full] | --requeue | --purge";

/** `taskq dead-letters <module> <queue>`: list (bounded, or --full), --requeue or --purge. */
export async function deadLettersCommand(argv: string[], out: Out): Promise<number> {
  const { values, positionals } = parseOrUsage(USAGE, () =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        requeue: { type: "boolean" },
        purge: { type: "boolean" },
        limit: { type: "string" },
        full: { type: "boolean" },
        path: { type: "string", short: "P", multiple: true },
      },
    }),
  );
  const [module, queue] = positionals;
  if (module === undefined || queue === undefined || positionals.length > 2) throw usage(USAGE);
  if (values.requeue && values.purge) throw usage("--requeue and --purge do not go together");
  if ((values.requeue || values.purge) && (values.limit !== undefined || values.full)) {
    throw usage("--limit and --full go with the listing, not with --requeue or --purge");
  }
  const limit = values.limit === undefined ? 100 : positiveInteger("limit", values.limit);
  return withBroker([module], values.path ?? [], async (broker) => {
    if (!broker.getDeclaredQueues().has(queue))
      throw usage(`Queue ${queue} is not declared by ${module}`);
    if (values.requeue) {
      out(`Requeued ${await broker.requeueDeadLetters(queue)} dead letter(s) of ${queue}.`);
    } else if (values.purge) {
      out(`Purged ${await broker.purgeDeadLetters(queue)} dead letter(s) of ${queue}.`);
    } else {
      const letters = await broker.getDeadLetters(queue, { limit });
      for (const letter of letters) out(describeDeadLetter(letter, values.full ?? false));
      out(
        `${letters.length} dead letter(s) of ${queue}${letters.length === limit ? ` (first ${limit})` : ""}.`,
      );
    }
    return ExitCode.ok;
  });
}
