import type { IncomingMessage, ServerResponse } from "node:http";
import { type Broker, InvalidArgument, optionChecks, validateOptions } from "@taskq/core";
import { type Route, type RouteContext, routes } from "./api.js";
import { serveEvents } from "./events.js";
import { type AuthPredicate, type BasicAuth, checkAuth, checkSameOrigin } from "./guard.js";
import { HttpError, sendError } from "./http.js";
import { isPagePath, servePage, serveScript } from "./page.js";
import type { DashboardCancel, DashboardScheduler, DashboardStates } from "./sources.js";
import { StateFeed } from "./state-feed.js";

/** Options of `createDashboard`. */
export interface DashboardOptions {
  /** The broker whose queues the dashboard shows and steers. */
  broker: Broker;
  /** The `MessageState` middleware: without it, `/api/messages` answers 501 "not configured". */
  states?: DashboardStates;
  /**
   * The `Cancel` middleware, on `broker`: without it, `POST /api/messages/:id/cancel` answers
   * 501 "not configured".
   */
  cancel?: DashboardCancel;
  /** A `Scheduler` (`@taskq/scheduler`): without it, `/api/schedules` answers 501. */
  scheduler?: DashboardScheduler;
  /** Refuse every state change (403 `TASKQ_READ_ONLY`). Default false. */
  readOnly?: boolean;
  /** Basic-auth credentials (401 with a challenge), or a request predicate (403). */
  auth?: BasicAuth | AuthPredicate;
  /** The path the dashboard is mounted at (`/taskq`); request URLs starting with it are stripped. */
  mountPath?: string;
}

/** A request handler for `node:http` (and Express/Fastify's raw request and response). */
export type DashboardHandler = (req: IncomingMessage, res: ServerResponse) => void;

function checkAuthOption(v: unknown): string | undefined {
  if (typeof v === "function") return undefined;
  if (
    v !== null &&
    typeof v === "object" &&
    typeof (v as BasicAuth).username === "string" &&
    typeof (v as BasicAuth).password === "string"
  )
    return undefined;
  return "a { username, password } object of strings or a function (req) => boolean";
}

function hasMethods(...names: string[]) {
  return (v: unknown): string | undefined =>
    v !== null &&
    typeof v === "object" &&
    names.every((n) => typeof (v as Record<string, unknown>)[n] === "function")
      ? undefined
      : `an object with methods ${names.join(", ")}`;
}

function normalizeMount(mountPath: string | undefined): string {
  if (mountPath === undefined || mountPath === "" || mountPath === "/") return "";
  if (!mountPath.startsWith("/"))
    throw new InvalidArgument(
      `createDashboard: mountPath must start with "/", got ${JSON.stringify(mountPath)}`,
    );
  return mountPath.replace(/\/+$/, "");
}

/** The path inside the dashboard: the mount path stripped when the URL still holds it. */
function innerPath(pathname: string, mount: string): string {
  if (mount !== "" && (pathname === mount || pathname.startsWith(`${mount}/`)))
    return pathname.slice(mount.length) || "/";
  return pathname;
}

function match(path: string, method: string): { route: Route; params: string[] } {
  let allowed: string | undefined;
  for (const route of routes) {
    const m = route.pattern.exec(path);
    if (m === null) continue;
    if (route.method === method || (method === "HEAD" && route.method === "GET"))
      return { route, params: m.slice(1).map((p) => decodeURIComponent(p)) };
    allowed = route.method;
  }
  if (allowed !== undefined)
    throw new HttpError(405, "TASKQ_METHOD_NOT_ALLOWED", `Use ${allowed} on ${path}`, {
      allow: allowed,
    });
  throw new HttpError(404, "TASKQ_NOT_FOUND", `No API path ${path}`);
}

/**
 * The dashboard's HTTP handler (DESIGN §14): the JSON API under `/api` and live counts on
 * `/api/events`. State changes take a POST that passes the same-origin check.
 */
export function createDashboard(options: DashboardOptions): DashboardHandler {
  validateOptions("createDashboard", options, {
    broker: hasMethods("getDeclaredQueues", "getQueueMessageCounts"),
    states: hasMethods("get", "list", "count"),
    cancel: (v) =>
      v !== null &&
      typeof v === "object" &&
      typeof (v as { backend?: unknown }).backend === "object"
        ? undefined
        : "the Cancel middleware (new Cancel({ backend }))",
    scheduler: hasMethods("list", "trigger"),
    readOnly: optionChecks.boolean,
    auth: checkAuthOption,
    mountPath: optionChecks.string,
  });
  if (options.broker === undefined)
    throw new InvalidArgument("createDashboard: broker is required");
  const { broker, states, cancel, scheduler, auth } = options;
  if (cancel !== undefined && !broker.middleware.includes(cancel as never))
    throw new InvalidArgument(
      "createDashboard: cancel must be a Cancel middleware of the broker: broker.addMiddleware(cancel)",
    );
  const feed = states === undefined ? undefined : new StateFeed(states);
  const readOnly = options.readOnly ?? false;
  const mount = normalizeMount(options.mountPath);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    await checkAuth(req, auth);
    const url = new URL(req.url ?? "/", "http://dashboard.invalid");
    if (mount !== "" && url.pathname === mount) {
      // Relative URLs resolve against the parent of a path without a trailing slash.
      res.writeHead(308, { location: `${mount}/${url.search}` });
      res.end();
      return;
    }
    const path = innerPath(url.pathname, mount);
    const method = req.method ?? "GET";
    if (path === "/api/events") {
      if (method !== "GET")
        throw new HttpError(405, "TASKQ_METHOD_NOT_ALLOWED", "Use GET on /api/events", {
          allow: "GET",
        });
      serveEvents(req, res, broker, feed);
      return;
    }
    if ((method === "GET" || method === "HEAD") && path === "/assets/app.js") {
      await serveScript(res);
      return;
    }
    if ((method === "GET" || method === "HEAD") && isPagePath(path)) {
      servePage(res, path, readOnly, cancel !== undefined);
      return;
    }
    const { route, params } = match(path, method);
    if (route.method === "POST") {
      if (readOnly) throw new HttpError(403, "TASKQ_READ_ONLY", "This dashboard is read-only");
      checkSameOrigin(req);
    }
    const ctx: RouteContext = {
      req,
      res,
      params,
      query: url.searchParams,
      broker,
      states,
      cancel,
      scheduler,
    };
    await route.run(ctx);
  };

  return (req, res) => {
    handle(req, res).catch((err: unknown) => sendError(res, err));
  };
}
