import { parseArgs } from "node:util";
import type { Actor } from "@taskq/core";
import { type Out, parseOrUsage, usage, withBroker } from "./admin.js";
import { ExitCode } from "./exit-codes.js";

const USAGE = "Usage: taskq send <module> <actor> [--args JSON]";

/** `taskq send <module> <actor> [--args JSON]`. */
export async function sendCommand(argv: string[], out: Out): Promise<number> {
  const { values, positionals } = parseOrUsage(USAGE, () =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      options: { args: { type: "string" }, path: { type: "string", short: "P", multiple: true } },
    }),
  );
  const [module, actorName] = positionals;
  if (module === undefined || actorName === undefined || positionals.length > 2) throw usage(USAGE);
  const args = parseJsonArgs(values.args);
  return withBroker([module], values.path ?? [], async (broker) => {
    const actor = broker.findActor(actorName);
    if (actor === undefined) {
      throw usage(
        `No actor ${actorName} in ${module}; it declares: ${[...broker.getDeclaredActors()].sort().join(", ")}`,
      );
    }
    checkArgumentCount(actor, args);
    const message = await actor.sendWithOptions({ args } as never);
    out(`Sent ${message} as message ${message.messageId} on ${message.queueName}.`);
    return ExitCode.ok;
  });
}

function parseJsonArgs(text: string | undefined): unknown[] {
  if (text === undefined) return [];
  let args: unknown;
  try {
    args = JSON.parse(text);
  } catch (err) {
    throw usage(`--args is not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(args)) {
    throw usage(`--args must be a JSON array of arguments, like '["a", 2]'; got ${text}`);
  }
  return args;
}

/**
 * Refuse fewer arguments than the actor's function declares before its first parameter with
 * a default value (`fn.length`). That is the one count a function tells reliably: parameters
 * with defaults, rest parameters and `arguments` hide how many more it takes, so neither an
 * upper bound nor a check when `fn.length` is 0 (a GenericActor, `(...args)`) is attempted.
 */
export function checkArgumentCount(actor: Actor, args: readonly unknown[]): void {
  const required = actor.fn.length;
  if (args.length >= required) return;
  const given = args.length === 0 ? "none were given (--args)" : `--args gives ${args.length}`;
  throw usage(
    `Actor ${actor.actorName} takes at least ${required} argument(s) — its function declares ${required} parameter(s) before any with a default value — but ${given}. Pass all of them (null for one that may be left out), or give the optional ones a default value.`,
  );
}
