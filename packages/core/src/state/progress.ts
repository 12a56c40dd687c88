import { currentProxy } from "../context.js";
import { assertJsonable } from "../encoder.js";
import { EncodeError, InvalidArgument } from "../errors.js";
import type { ProgressRecorder } from "../lifecycle/lookup.js";
import { PROGRESS_OWNER } from "../lifecycle/lookup.js";
import { lazyLogger } from "../logger.js";
import type { MessageProxy } from "../message-proxy.js";
import { describeValue } from "../validate.js";
import type { Progress } from "./types.js";

const log = lazyLogger("taskq.setProgress");
const warned = new Set<string>();

function checkProgress(value: unknown): asserts value is Progress {
  if (typeof value === "number") {
    if (value >= 0 && value <= 1) return;
  } else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    try {
      assertJsonable(value, "progress");
      return;
    } catch (err) {
      if (err instanceof EncodeError) {
        throw new InvalidArgument(`setProgress: ${err.message}`);
      }
      throw err;
    }
  }
  throw new InvalidArgument(
    `setProgress takes a number from 0 to 1 or a JSON object, got ${describeValue(value)}`,
  );
}

/**
 * Report the running actor's progress — a fraction from 0 to 1, or a JSON object — to the
 * broker's MessageState; readers in any process see it once the promise resolves. Outside an
 * actor run by a worker (a direct call) it does nothing, and on a broker without MessageState
 * it warns once per actor and does nothing.
 */
export async function setProgress(progress: Progress): Promise<void> {
  checkProgress(progress);
  const proxy = currentProxy();
  if (proxy === undefined) return;
  await recordProgress(proxy, progress);
}

/**
 * Record a running message's progress with the MessageState that started it; warn once per
 * actor when there is none. Also where progress from an isolated actor's thread lands.
 */
export async function recordProgress(proxy: MessageProxy, progress: Progress): Promise<void> {
  const owner = (proxy as MessageProxy & { [PROGRESS_OWNER]?: ProgressRecorder })[PROGRESS_OWNER];
  if (owner === undefined) {
    if (!warned.has(proxy.actorName)) {
      warned.add(proxy.actorName);
      log.warn(
        `Actor ${proxy.actorName} reports progress, but its broker has no MessageState middleware: the progress is not recorded.`,
      );
    }
    return;
  }
  await owner.recordProgress(proxy, progress);
}
