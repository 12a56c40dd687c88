import type { IncomingMessage, ServerResponse } from "node:http";
import { InvalidArgument, TaskqError } from "@taskq/core";

/** An error with the HTTP status and `code` the API answers it with. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Bodies past this size are refused: the API only takes small JSON objects. */
const MAX_BODY_BYTES = 64 * 1024;

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...headers,
  });
  res.end(text);
}

/** Answer any thrown value as `{ error, code }` with a fitting status. */
export function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof HttpError) {
    sendJson(res, err.status, { error: err.message, code: err.code }, err.headers);
  } else if (err instanceof InvalidArgument) {
    sendJson(res, 400, { error: err.message, code: err.code });
  } else if (err instanceof TaskqError) {
    sendJson(res, 500, { error: err.message, code: err.code });
  } else {
    const message = err instanceof Error ? err.message : String(err);
    sendJson(res, 500, { error: message, code: "TASKQ_INTERNAL_ERROR" });
  }
}

/** The request's JSON body as an object; `{}` when empty. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES)
      throw new HttpError(413, "TASKQ_BODY_TOO_LARGE", `Body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (text === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, "TASKQ_INVALID_JSON", "The request body is not valid JSON");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new HttpError(400, "TASKQ_INVALID_JSON", "The request body must be a JSON object");
  return value as Record<string, unknown>;
}

/** A non-negative integer query parameter, `fallback` when absent, 400 when malformed. */
export function intParam(
  params: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = params.get(name);
  if (raw === null || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new HttpError(
      400,
      "TASKQ_INVALID_ARGUMENT",
      `Query parameter ${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`,
    );
  return n;
}
