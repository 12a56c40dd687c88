import type { Broker } from "@taskq/core";
import { peekBroker } from "@taskq/core";
import type { WorkerCommand } from "./args.js";
import { CliError, ExitCode } from "./exit-codes.js";
import { importModules } from "./modules.js";

/**
 * How long the broker gets to answer at boot. Short enough that a worker or an admin
 * command against a server that is not there exits 3 within 5 s, counting the process
 * start and the module imports; long enough for a TLS handshake to a remote server.
 */
export const CONNECT_TIMEOUT = 2500;
/** The CLI's own bound on top, for brokers whose ping does not honour its timeout. */
const GRACE = 250;

/** The broker the modules set, checked reachable: exit 2 when there is none, 3 when unreachable. */
export async function loadBroker(
  command: Pick<WorkerCommand, "modules" | "paths">,
): Promise<Broker> {
  await importModules(command.modules, command.paths);
  const broker = peekBroker();
  if (broker === undefined) {
    throw new CliError(
      ExitCode.importOrBroker,
      `None of ${command.modules.join(", ")} set a broker: call setBroker(broker) in one of them`,
    );
  }
  await checkConnection(broker, `${broker.constructor.name} set by ${command.modules.join(", ")}`);
  return broker;
}

/**
 * Resolve once the broker answers a ping; otherwise exit 3 with a line naming the broker and
 * why (the broker's own error names its address), at the latest after CONNECT_TIMEOUT + GRACE.
 */
export async function checkConnection(broker: Broker, which: string): Promise<void> {
  const ping = Promise.resolve().then(() => broker.ping({ timeout: CONNECT_TIMEOUT }));
  // A ping that settles after the CLI gave up must not become an unhandled rejection.
  ping.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${CONNECT_TIMEOUT} ms`)),
      CONNECT_TIMEOUT + GRACE,
    );
  });
  try {
    await Promise.race([ping, bound]);
  } catch (err) {
    throw new CliError(
      ExitCode.connection,
      `Could not connect to the broker (${which}): ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  } finally {
    clearTimeout(timer);
  }
}
