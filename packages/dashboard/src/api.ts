import type { IncomingMessage, ServerResponse } from "node:http";
import { type Broker, cancel, Message } from "@taskq/core";
import { HttpError, intParam, readJsonObject, sendJson } from "./http.js";
import { deadLetterItem, queueSummaries } from "./queues.js";
import {
  type DashboardCancel,
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
  cancel: DashboardCancel | undefined;
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
  const composition = query.get("composition");
  if (composition !== null && composition !== "") filter.compositionId = composition;
  return filter;
}

/** The `ids` of a requeue/purge body: absent means all; anything else must be strings. */
async function bodyIds(req: IncomingMessage): Promise<string[] | undefined> {
  const body = await readJsonObject(req);
  const ids = body.ids;
  if (ids === undefined) return undefined;
  if (
    !Array.isArray(ids) ||
    ids.length > MAX_PAGE ||
    ids.some((id) => typeof id !== "string" || id === "")
  )
    throw new HttpError(
      400,
      "TASKQ_INVALID_ARGUMENT",
      `ids must be an array of at most ${MAX_PAGE} message ids`,
    );
  return ids as string[];
}

/** Requeue or purge dead letters; chosen ids none of which is a dead letter of the queue: 404. */
async function pickDeadLetters(ctx: RouteContext, action: "requeue" | "purge"): Promise<void> {
  const { req, res, broker, params } = ctx;
  const queue = declaredQueue(broker, params[0]!);
  const ids = await bodyIds(req);
  const options = ids === undefined ? {} : { ids };
  const done =
    action === "requeue"
      ? await broker.requeueDeadLetters(queue, options)
      : await broker.purgeDeadLetters(queue, options);
  if (ids !== undefined && ids.length > 0 && done === 0)
    throw new HttpError(
      404,
      "TASKQ_UNKNOWN_MESSAGE",
      `No dead letter of ${queue} with id ${ids.map((id) => JSON.stringify(id)).join(", ")}`,
    );
  const key = action === "requeue" ? "requeued" : "purged";
  sendJson(
    res,
    200,
    ids === undefined ? { [key]: done } : { [key]: done, notFound: ids.length - done },
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
      const offset = intParam(query, "offset", 0, 0, Number.MAX_SAFE_INTEGER);
      const limit = intParam(query, "limit", 50, 1, MAX_PAGE);
      // Count first: RabbitMQ lists dead letters by fetching them, and they leave its count
      // while held.
      const counts = await broker.getQueueMessageCounts(queue);
      const letters = await broker.getDeadLetters(queue, { offset, limit, newestFirst: true });
      sendJson(res, 200, {
        total: counts.dead,
        items: letters.map((l) => deadLetterItem(queue, l)),
      });
    },
  },
  {
    method: "POST",
    pattern: /^\/api\/queues\/([^/]+)\/dead-letters\/requeue$/,
    run: (ctx) => pickDeadLetters(ctx, "requeue"),
  },
  {
    method: "POST",
    pattern: /^\/api\/queues\/([^/]+)\/dead-letters\/purge$/,
    run: (ctx) => pickDeadLetters(ctx, "purge"),
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
  {
    method: "POST",
    pattern: /^\/api\/messages\/([^/]+)\/cancel$/,
    async run({ res, states, cancel: canceler, broker, params }) {
      if (canceler === undefined) throw notConfigured("Cancel (the Cancel middleware)");
      const id = params[0]!;
      if (states !== undefined && (await states.get(id)) === undefined)
        throw new HttpError(
          404,
          "TASKQ_UNKNOWN_MESSAGE",
          `No message with id ${JSON.stringify(id)}`,
        );
      const [outcome] = await cancel([id], { broker });
      sendJson(res, 200, outcome);
    },
  },
  {
    method: "GET",
    pattern: /^\/api\/workers$/,
    async run({ res, broker }) {
      if (broker.listWorkers === undefined)
        throw new HttpError(
          501,
          "TASKQ_NOT_SUPPORTED",
          `Listing workers is not available on this broker (${broker.constructor.name} keeps no heartbeats)`,
        );
      sendJson(res, 200, await broker.listWorkers({ limit: 1000 }));
    },
  },
];
