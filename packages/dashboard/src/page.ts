import { readFile } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { HttpError } from "./http.js";

/** Paths that serve the page: the root and its deep links. */
const PAGE_PATH = /^\/(?:(?:queues|dead-letters|messages)\/[^/]+|schedules|messages|workers)?\/?$/;

/** Whether `path` (inside the mount point) is one of the page's deep links. */
export function isPagePath(path: string): boolean {
  return PAGE_PATH.test(path);
}

// src/ and dist/ are both one level under the package root, so this finds the built bundle
// from either (tests run the sources).
const SCRIPT_URL = new URL("../dist/ui/app.global.js", import.meta.url);
let script: Promise<Buffer> | undefined;

/** Serve the page's bundled script; a clear 500 when the package was not built. */
export async function serveScript(res: ServerResponse): Promise<void> {
  script ??= readFile(SCRIPT_URL);
  let body: Buffer;
  try {
    body = await script;
  } catch {
    script = undefined;
    throw new HttpError(
      500,
      "TASKQ_ASSETS_MISSING",
      "The dashboard's page script is missing: build @taskq/dashboard (pnpm build)",
    );
  }
  res.writeHead(200, {
    "content-type": "text/javascript; charset=utf-8",
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
  });
  res.end(body);
}

/**
 * The page's HTML. `<base>` points back at the mount point from any deep link, so the script
 * and API URLs stay relative whatever path the dashboard is mounted at.
 */
export function servePage(
  res: ServerResponse,
  path: string,
  readOnly: boolean,
  canCancel: boolean,
): void {
  const depth = Math.max(
    0,
    path.split("/").filter((p) => p !== "").length - (path.endsWith("/") ? 0 : 1),
  );
  const baseHref = depth === 0 ? "./" : "../".repeat(depth);
  const html = `<!doctype html>
<html lang="en" data-read-only="${readOnly}" data-cancel="${canCancel}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<base href="${baseHref}">
<title>taskq dashboard</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0 1.5rem;color:#222}
header{display:flex;gap:2rem;align-items:baseline}nav a{margin-right:1rem}
table{border-collapse:collapse;margin:1rem 0}th,td{border-bottom:1px solid #ddd;padding:.3rem .7rem;text-align:left;vertical-align:top}
pre{margin:0;white-space:pre-wrap;max-width:50rem}.muted{color:#777}.error{color:#b00}
button{margin-right:.3rem}header form{margin-left:auto}
.spark{vertical-align:middle}.fields th{width:8rem}ol.history{margin:0;padding-left:1.2rem}
progress{width:12rem}td.actions{white-space:nowrap}.note{background:#eef6ee;padding:.3rem .6rem}
</style>
</head>
<body>
<div id="app"></div>
<script src="assets/app.js"></script>
</body>
</html>
`;
  res.writeHead(200, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "content-security-policy":
      "default-src 'self'; script-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  });
  res.end(html);
}
