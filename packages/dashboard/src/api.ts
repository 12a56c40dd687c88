import type { IncomingMessage, ServerResponse } from "node:http";
import { type Broker, Message } from "@taskq/core";
import { HttpError, intParam, readJsonObject, sendJson } from "./http.js";
import { deadLetterItem, queueSummaries } from "./queues.js";
import {
  type DashboardMessageStatus,
  type DashboardScheduler,
  type DashboardStateFilter,
  type DashboardStates,
  MESSAGE_STATUSES,
} from "./sources.js";

/** What a route handler gets. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: string[];
  query: URLSearchParams;
  broker: Broker;
  states: DashboardStates | undefined;
  scheduler: DashboardScheduler | undefined;
}

/** One API route: a method, a path pattern whose `([^/]+)` groups become `params`. */
export interface Route {
  method: "GET" | "POST";
  pattern: RegExp;
  run(ctx: RouteContext): Promise<void>;
}

/** Most items one page of a listing may hold: no endpoint reads a whole queue. */
export const MAX_PAGE = 500;

function notConfigured(what: string): HttpError {
  return new HttpError(501, "TASKQ_NOT_CONFIGURED", `${what} is not configured on this dashboard`);
}

function declaredQueue(broker: Broker, name: string): string {
  if (!broker.getDeclaredQueues().has(name))
    throw new HttpError(404, "TASKQ_UNKNOWN_QUEUE", `No queue named ${JSON.stringify(name)}`);
  return name;
}

function stateFilter(query: URLSearchParams): DashboardStateFilter {
  const filter: DashboardStateFilter = {};
  const status = query.get("status");
  if (status !== null && status !== "") {
    if (!(MESSAGE_STATUSES as readonly string[]).includes(status))
      throw new HttpError(
        400,
        "TASKQ_INVALID_ARGUMENT",
        `status must be one of ${MESSAGE_STATUSES.join(", ")}, got ${JSON.stringify(status)}`,
      );
    filter.status = status as DashboardMessageStatus;
  }
  const actor = query.get("actor");
  if (actor !== null && actor !== "") filter.actorName = actor;
  const queue = query.get("queue");
  if (queue !== null && queue !== "") filter.queueName = queue;
  return filter;
}

/** The `ids` of a requeue/purge body: absent means all; anything else must be strings. */
async function bodyIds(req: IncomingMessage): Promise<string[] | undefined> {
  const body = await readJsonObject(req);
  const ids = body.ids;
  if (ids === undefined) return undefined;
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== "string"))
    throw new HttpError(400, "TASKQ_INVALID_ARGUMENT", "ids must be an array of message ids");
  return ids as string[];
}

function refuseIds(ids: string[] | undefined, action: string): void {
  // Brokers only move or delete a queue's dead letters all at once for now: doing all when
  // a few were asked for would lose data the user meant to keep.
  if (ids !== undefined)
    throw new HttpError(
      501,
      "TASKQ_NOT_SUPPORTED",
      `This broker can only ${action} all dead letters of a queue; send no ids`,
    );
}

async function resultOf(broker: Broker, state: Record<string, unknown>): Promise<object> {
  let reader: ReturnType<Broker["getResultsBackend"]>;
  try {
    reader = broker.getResultsBackend();
  } catch {
    return {};
  }
  try {
    const message = new Message({
      queueName: String(state.queueName),
      actorName: String(state.actorName),
      args: Array.isArray(state.args) ? state.args : [],
      kwargs: (state.kwargs as Record<string, unknown>) ?? {},
      options: (state.options as Record<string, unknown>) ?? {},
      messageId: String(state.messageId),
    });
    return { result: await reader.getResult(message) };
  } catch (err) {
    const e = err as {
      code?: unknown;
      message?: unknown;
      origExcType?: unknown;
      origExcMsg?: unknown;
    };
    if (e.code === "TASKQ_RESULT_MISSING") return {};
    if (e.code === "TASKQ_RESULT_FAILURE")
      return { error: { type: String(e.origExcType), message: String(e.origExcMsg) } };
    throw err;
  }
}

export const routes: Route[] = [
  {
    method: "GET",
    pattern: /^\/api\/queues$/,
    async run({ res, broker }) {
      sendJson(res, 200, await queueSummaries(broker));
    },
  },
  {
    method: "GET",
    pattern: /^\/api\/queues\/([^/]+)\/dead-letters$/,
    async run({ res, broker, params, query }) {
      const queue = declaredQueue(broker, params[0]!);
      const offset = intParam(query, "offset", 0, 0, 1_000_000);
      const limit = intParam(query, "limit", 50, 1, MAX_PAGE);
      // Count first: RabbitMQ lists dead letters by fetching them, and they leave its count
      // while held.
      const counts = await broker.getQueueMessageCounts(queue);
      const letters = await broker.getDeadLetters(queue, { limit: offset + limit });
      sendJson(res, 200, {
        total: counts.dead,
        items: letters.slice(offset).map((l) => deadLetterItem(queue, l)),
      });
    },
  },
  {
    method: "POST",
    pattern: /^\/api\/queues\/([^/]+)\/dead-letters\/requeue$/,
    async run({ req, res, broker, params }) {
      const queue = declaredQueue(broker, params[0]!);
      refuseIds(await bodyIds(req), "requeue");
      sendJson(res, 200, { requeued: await broker.requeueDeadLetters(queue) });
    },
  },
  {
    method: "POST",
    pattern: /^\/api\/queues\/([^/]+)\/dead-letters\/purge$/,
    async run({ req, res, broker, params }) {
      const queue = declaredQueue(broker, params[0]!);
      refuseIds(await bodyIds(req), "purge");
      sendJson(res, 200, { purged: await broker.purgeDeadLetters(queue) });
    },
  },
  {
    method: "POST",
    pattern: /^\/api\/queues\/([^/]+)\/pause$/,
    async run({ res, broker, params }) {
      const queue = declaredQueue(broker, params[0]!);
      await broker.pauseQueue(queue);
      sendJson(res, 200, { name: queue, paused: true });
    },
  },
  {
    method: "POST",
    pattern: /^\/api\/queues\/([^/]+)\/resume$/,
    async run({ res, broker, params }) {
      const queue = declaredQueue(broker, params[0]!);
      await broker.resumeQueue(queue);
      sendJson(res, 200, { name: queue, paused: false });
    },
  },
  {
    method: "GET",
    pattern: /^\/api\/schedules$/,
    async run({ res, scheduler }) {
      if (scheduler === undefined) throw notConfigured("A scheduler");
      sendJson(res, 200, await scheduler.list());
    },
  },
  {
    method: "POST",
    pattern: /^\/api\/schedules\/([^/]+)\/trigger$/,
    async run({ res, scheduler, params }) {
      if (scheduler === undefined) throw notConfigured("A scheduler");
      const name = params[0]!;
      const known = (await scheduler.list()).some((s) => (s as { name?: unknown }).name === name);
      if (!known)
        throw new HttpError(
          404,
          "TASKQ_UNKNOWN_SCHEDULE",
          `No schedule named ${JSON.stringify(name)}`,
        );
      const sent = await scheduler.trigger(name);
      sendJson(res, 200, { name, messageId: sent.messageId });
    },
  },
  {
    method: "GET",
    pattern: /^\/api\/messages$/,
    async run({ res, states, query }) {
      if (states === undefined) throw notConfigured("Message state (MessageState)");
      const filter = stateFilter(query);
      const offset = intParam(query, "offset", 0, 0, Number.MAX_SAFE_INTEGER);
      const limit = intParam(query, "limit", 50, 1, MAX_PAGE);
      const [total, items] = await Promise.all([
        states.count(filter),
        states.list({ ...filter, offset, limit }),
      ]);
      sendJson(res, 200, { total, items });
    },
  },
  {
    method: "GET",
    pattern: /^\/api\/messages\/([^/]+)$/,
    async run({ res, states, broker, params }) {
      if (states === undefined) throw notConfigured("Message state (MessageState)");
      const id = params[0]!;
      const state = (await states.get(id)) as Record<string, unknown> | undefined;
      if (state === undefined)
        throw new HttpError(
          404,
          "TASKQ_UNKNOWN_MESSAGE",
          `No message with id ${JSON.stringify(id)}`,
        );
      sendJson(res, 200, { ...state, ...(await resultOf(broker, state)) });
    },
  },
];
