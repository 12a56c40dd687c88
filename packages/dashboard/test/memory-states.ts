import type { DashboardStateFilter, DashboardStates } from "../src/index.js";

/**
 * Message states in memory, answering as MessageState's readers do (filters ANDed, paging
 * by offset/limit). Stands in for core's MessageState until it lands on this branch; the
 * thing under test is the dashboard, not the state store.
 */
export function memoryStates(states: Record<string, unknown>[]): DashboardStates {
  const matches = (s: Record<string, unknown>, f: DashboardStateFilter) =>
    (f.status === undefined || s.status === f.status) &&
    (f.actorName === undefined || s.actorName === f.actorName) &&
    (f.queueName === undefined || s.queueName === f.queueName) &&
    (f.compositionId === undefined || s.compositionId === f.compositionId);
  return {
    get: async (id) => states.find((s) => s.messageId === id),
    count: async (f) => states.filter((s) => matches(s, f)).length,
    list: async (o) => states.filter((s) => matches(s, o)).slice(o.offset, o.offset + o.limit),
  };
}
