import type { Broker } from "./broker.js";
import { InvalidArgument } from "./errors.js";

// Kept on globalThis so that an application that loads both the ESM and the CJS build of
// @taskq/core still has one global broker.
const KEY = Symbol.for("@taskq/core.globalBroker");
type Holder = { [KEY]?: Broker };

/** Make `broker` the one actors and `Message.getResult()` use when none is given. */
export function setBroker(broker: Broker): void {
  (globalThis as Holder)[KEY] = broker;
}

/** The global broker (see `setBroker`); InvalidArgument when none is set. */
export function getBroker(): Broker {
  const broker = (globalThis as Holder)[KEY];
  if (broker === undefined) {
    throw new InvalidArgument(
      "No global broker is set: call setBroker(broker) before declaring actors, or pass { broker } to actor()",
    );
  }
  return broker;
}

/** The global broker, or undefined when none is set. */
export function peekBroker(): Broker | undefined {
  return (globalThis as Holder)[KEY];
}
