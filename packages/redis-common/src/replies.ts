import type { ChainableCommander } from "ioredis";

/**
 * Run a pipeline or MULTI and return its replies, throwing the first per-command error:
 * ioredis resolves `exec()` even when some of the commands failed.
 */
export async function execAll(batch: ChainableCommander): Promise<unknown[]> {
  const replies = await batch.exec();
  if (replies === null) throw new Error("the transaction was aborted");
  const failed = replies.find(([err]) => err !== null);
  if (failed) throw failed[0];
  return replies.map(([, value]) => value);
}
