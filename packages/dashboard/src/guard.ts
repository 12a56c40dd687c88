import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { HttpError } from "./http.js";

/** Basic-auth credentials (`auth: { username, password }`). */
export interface BasicAuth {
  /** The user name to accept. */
  username: string;
  /** The password to accept; it may hold `:`. */
  password: string;
}

/** A request predicate (`auth: (req) => boolean`): false refuses with 403. */
export type AuthPredicate = (req: IncomingMessage) => boolean | Promise<boolean>;

// Hash both sides first so the comparison takes the same time whatever the lengths.
function sameSecret(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}

function basicOk(req: IncomingMessage, auth: BasicAuth): boolean {
  const header = req.headers.authorization;
  if (typeof header !== "string") return false;
  const match = /^Basic\s+(\S+)$/i.exec(header);
  if (match === null) return false;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return false;
  // Only the first colon separates: RFC 7617 lets the password hold more.
  const userOk = sameSecret(decoded.slice(0, colon), auth.username);
  const passOk = sameSecret(decoded.slice(colon + 1), auth.password);
  return userOk && passOk;
}

/** Throws the refusal (401 with a challenge, or 403) when `auth` does not admit `req`. */
export async function checkAuth(
  req: IncomingMessage,
  auth: BasicAuth | AuthPredicate | undefined,
): Promise<void> {
  if (auth === undefined) return;
  if (typeof auth === "function") {
    if ((await auth(req)) !== true)
      throw new HttpError(403, "TASKQ_FORBIDDEN", "The dashboard's auth refused this request");
    return;
  }
  if (!basicOk(req, auth))
    throw new HttpError(401, "TASKQ_UNAUTHORIZED", "Authentication required", {
      "www-authenticate": 'Basic realm="taskq dashboard", charset="UTF-8"',
    });
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

/**
 * Refuses a state change that may come from another site: its Origin (else Referer) must name
 * this host, or it must carry `x-taskq-dashboard: 1`, which a browser cannot send cross-origin
 * without a preflight this server never grants.
 */
export function checkSameOrigin(req: IncomingMessage): void {
  if (req.headers["x-taskq-dashboard"] === "1") return;
  const host = req.headers.host;
  const origin = req.headers.origin ?? req.headers.referer;
  if (typeof origin === "string" && host !== undefined && hostOf(origin) === host) return;
  throw new HttpError(
    403,
    "TASKQ_CROSS_ORIGIN",
    "State changes need a same-origin Origin or Referer, or the header x-taskq-dashboard: 1",
  );
}
