import type { Broker } from "../broker.js";
import { InvalidArgument } from "../errors.js";
import { renderBounded } from "../render.js";

/** What the check reads of a message. */
interface ResultOwner {
  readonly actorName: string;
  readonly options: Readonly<Record<string, unknown>>;
}

type StoresResultOf = (message: ResultOwner, actor: unknown) => boolean;

/**
 * Messages whose result a composition has the worker store whatever their actor says (the
 * members of a group that a pipeline step waits for): the check lets them through.
 */
export const storedByComposition = new WeakSet<object>();

/**
 * Throws an InvalidArgument naming the actor and the option when `broker`'s Results
 * middleware will not store the result of `message`: a wait could only time out. Silent
 * when it cannot tell (an actor this process did not declare, a results middleware that
 * does not say).
 */
export function assertResultStored(broker: Broker, message: ResultOwner): void {
  if (storedByComposition.has(message)) return;
  const actor = broker.findActor(message.actorName);
  if (actor === undefined) return;
  const results = broker.middleware.find((m) => m.resultsBackend !== undefined);
  const stores = (results as { storesResultOf?: StoresResultOf } | undefined)?.storesResultOf;
  if (typeof stores !== "function" || stores.call(results, message, actor)) return;
  const name = renderBounded(message.actorName, 200).replace(/^"|"$/g, "");
  throw new InvalidArgument(
    `Actor ${name} does not store its results, so this result would never come: declare it with storeResults: true (or send the message with storeResults: true)`,
  );
}
