import type { DeadLetterListOptions, DeadLetterSelection } from "./broker.js";
import { InvalidArgument } from "./errors.js";
import { describeValue } from "./validate.js";

/**
 * The message ids a `requeueDeadLetters`/`purgeDeadLetters` call selects, checked: `undefined`
 * for every dead letter. For broker implementations.
 */
export function selectedDeadLetterIds(
  where: string,
  options: DeadLetterSelection | undefined,
): Set<string> | undefined {
  if (options === undefined || options === null) return undefined;
  if (typeof options !== "object")
    throw new InvalidArgument(`${where}: options must be an object, got ${describeValue(options)}`);
  const ids = Object.hasOwn(options, "ids") ? options.ids : undefined;
  if (ids === undefined) return undefined;
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string" && id.length > 0))
    throw new InvalidArgument(
      `${where}: ids must be an array of non-empty message ids, got ${describeValue(ids)}`,
    );
  return new Set(ids as string[]);
}

/** `getDeadLetters` paging, checked: offset and limit non-negative integers. For brokers. */
export function deadLetterPaging(
  where: string,
  options: DeadLetterListOptions | undefined,
): { offset: number; limit: number; newestFirst: boolean } {
  const o = options ?? {};
  const offset = o.offset ?? 0;
  const limit = o.limit ?? Number.POSITIVE_INFINITY;
  if (!Number.isInteger(offset) || offset < 0)
    throw new InvalidArgument(
      `${where}: offset must be an integer >= 0, got ${describeValue(offset)}`,
    );
  if (limit !== Number.POSITIVE_INFINITY && (!Number.isInteger(limit) || limit < 0))
    throw new InvalidArgument(
      `${where}: limit must be an integer >= 0, got ${describeValue(limit)}`,
    );
  return { offset, limit, newestFirst: o.newestFirst === true };
}
