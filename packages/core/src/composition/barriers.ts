import type { Broker } from "../broker.js";
import { InvalidArgument } from "../errors.js";
import { GroupCallbacks } from "../middleware/group-callbacks.js";
import type { Group } from "./group.js";

/** Create the barriers of the groups something waits for, before any member can finish. */
export async function createBarriers(
  broker: Broker,
  groups: readonly Group<unknown[]>[],
): Promise<void> {
  if (groups.length === 0) return;
  const middleware = broker.middleware.find(
    (m): m is GroupCallbacks => m instanceof GroupCallbacks,
  );
  if (middleware === undefined) {
    throw new InvalidArgument(
      "Group completion callbacks and groups inside pipelines need the GroupCallbacks middleware: broker.addMiddleware(new GroupCallbacks(rateLimiterBackend))",
    );
  }
  for (const group of groups) {
    if (!(await middleware.barrier(group.groupId).create(group.children.length))) {
      throw new InvalidArgument(
        `The barrier of group ${group.groupId} exists already: a group runs once`,
      );
    }
  }
}
