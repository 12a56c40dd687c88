import { ResultFailure, ResultMissing } from "../errors.js";
import { DEFAULT_RESULT_TIMEOUT } from "../results/result-backend.js";
import type { GetResultOptions } from "../results/types.js";

/** A deadline shared by several blocking gets, so `timeout` bounds the whole wait. */
export function sharedDeadline(options: GetResultOptions): () => GetResultOptions {
  if (!options.block) return () => ({ block: false });
  const deadline = Date.now() + (options.timeout ?? DEFAULT_RESULT_TIMEOUT);
  return () => ({ block: true, timeout: Math.max(1, deadline - Date.now()) });
}

/** Whether a result (or a stored failure) exists, without waiting. */
export async function isDone(get: () => Promise<unknown>): Promise<boolean> {
  try {
    await get();
    return true;
  } catch (err) {
    if (err instanceof ResultFailure) return true;
    if (err instanceof ResultMissing) return false;
    throw err;
  }
}
