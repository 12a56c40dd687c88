import { parseArgs } from "node:util";
import type { CancelOutcome, StateRecord } from "@taskq/core";
import { cancel, renderBounded } from "@taskq/core";
import { usage, withBroker } from "./admin.js";
import { ExitCode } from "./exit-codes.js";

/** What the commands need of a MessageState middleware, recognised by its shape. */
interface StatesLike {
  get(messageId: string): Promise<StateRecord | undefined>;
}

function isStates<T>(m: T): m is T & StatesLike {
  const v = m as Record<string, unknown> | null;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.get === "function" &&
    typeof v.waitFor === "function" &&
    typeof v.recordProgress === "function"
  );
}

const time = (ms: number | undefined) => (ms === undefined ? "-" : new Date(ms).toISOString());
// Bounded: a state carries the message's args, which may be megabytes.
const json = (v: unknown) => (v === undefined ? "-" : renderBounded(v));

/** A state as `taskq status` prints it: one field a line. */
export function formatState(state: StateRecord): string {
  const rows: [string, string][] = [
    ["message", state.messageId],
    ["status", state.status],
    ["actor", state.actorName],
    ["queue", state.queueName],
    ["retries", String(state.retries)],
    ["progress", json(state.progress)],
    ["enqueued", time(state.enqueuedAt)],
    ["started", time(state.startedAt)],
    ["ended", time(state.endedAt)],
    ["eta", time(state.eta)],
    ["error", state.error === undefined ? "-" : `${state.error.type}: ${state.error.message}`],
    ["composition", state.compositionId ?? "-"],
    ["args", json(state.args)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n");
}

/** `taskq status <module> <message-id> [--json]`: the message's state, from its MessageState. */
export async function statusCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: "boolean" }, path: { type: "string", short: "P", multiple: true } },
  });
  const [module, messageId] = positionals;
  if (module === undefined || messageId === undefined || positionals.length > 2) {
    throw usage("Usage: taskq status <module> <message-id> [--json]");
  }
  return withBroker([module], values.path ?? [], async (broker) => {
    const states: StatesLike | undefined = broker.middleware.find(isStates);
    if (states === undefined) {
      throw usage(
        `The broker of ${module} has no MessageState middleware: broker.addMiddleware(new MessageState({ backend }))`,
      );
    }
    const state = await states.get(messageId);
    if (state === undefined) {
      throw usage(`No state recorded for message ${messageId} (unknown, or expired)`);
    }
    out(values.json ? JSON.stringify(state) : formatState(state));
    return ExitCode.ok;
  });
}

function describeOutcome(o: CancelOutcome): string {
  if (o.outcome === "finished")
    return `${o.messageId}  already finished (${o.status}): nothing done`;
  return `${o.messageId}  canceled (${o.status === undefined ? "no state recorded" : `was ${o.status}`})`;
}

/** `taskq cancel <module> <message-id>...`: cancel, and say for each what was done. */
export async function cancelCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { path: { type: "string", short: "P", multiple: true } },
  });
  const [module, ...ids] = positionals;
  if (module === undefined || ids.length === 0) {
    throw usage("Usage: taskq cancel <module> <message-id>...");
  }
  return withBroker([module], values.path ?? [], async (broker) => {
    let outcomes: CancelOutcome[];
    try {
      outcomes = await cancel(ids, { broker });
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === "TASKQ_INVALID_ARGUMENT") throw usage((err as Error).message);
      throw err;
    }
    for (const o of outcomes) out(describeOutcome(o));
    return ExitCode.ok;
  });
}
