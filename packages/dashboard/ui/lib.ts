// What every view shares: API calls, routing, links, the live event stream, small widgets.
// Everything from messages goes through text nodes (Preact escapes), never innerHTML.
import { html } from "htm/preact";
import { useEffect } from "preact/hooks";

export const readOnly = document.documentElement.dataset.readOnly === "true";
/** Whether the dashboard was given the Cancel middleware: no Cancel buttons otherwise. */
export const canCancel = !readOnly && document.documentElement.dataset.cancel === "true";
// <base href> points at the mount point: every URL below is relative to it.
export const base = new URL(document.baseURI);

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A JSON API call; a POST sends `body` (default `{}`). Errors become ApiError. */
export async function api<T>(
  path: string,
  method: "GET" | "POST" = "GET",
  body?: unknown,
): Promise<T> {
  const res = await fetch(new URL(path, base), {
    method,
    headers: method === "POST" ? { "content-type": "application/json" } : {},
    body: method === "POST" ? JSON.stringify(body ?? {}) : undefined,
  });
  const data = (await res.json()) as { error?: string; code?: string };
  if (!res.ok) throw new ApiError(res.status, String(data.code), String(data.error));
  return data as T;
}

export function route(): string[] {
  const inner = decodeURI(location.pathname).slice(decodeURI(base.pathname).length);
  return inner.split("/").filter((p) => p !== "");
}

export function go(path: string, e?: Event) {
  e?.preventDefault();
  history.pushState(null, "", new URL(path, base));
  window.dispatchEvent(new Event("popstate"));
}

export function when(ms: number | null | undefined): string {
  return ms === null || ms === undefined
    ? "—"
    : new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}

export function Link(props: { to: string; children: unknown }) {
  return html`<a href=${new URL(props.to, base).pathname} onClick=${(e: Event) => go(props.to, e)}
    >${props.children}</a
  >`;
}

export function Problem(props: { error: unknown }) {
  const e = props.error;
  if (e instanceof ApiError && e.code === "TASKQ_NOT_CONFIGURED")
    return html`<p class="muted" role="status">Not configured: ${e.message}.</p>`;
  if (e instanceof ApiError && e.code === "TASKQ_NOT_SUPPORTED")
    return html`<p class="muted" role="status">Not available on this broker: ${e.message}.</p>`;
  return html`<p class="error" role="alert">${e instanceof Error ? e.message : String(e)}</p>`;
}

/** Ask before a destructive action; run it only when confirmed. */
export function confirmed(question: string): boolean {
  return confirm(question);
}

type Listener = (data: unknown) => void;
const listeners = new Map<string, Set<Listener>>();
let source: EventSource | undefined;

/** Listen to one event of `/api/events` (one stream for the whole page) while mounted. */
export function useEvent(name: "counts" | "state", listener: Listener, deps: unknown[]) {
  useEffect(() => {
    if (source === undefined) source = new EventSource(new URL("api/events", base));
    let set = listeners.get(name);
    if (set === undefined) {
      const fresh = new Set<Listener>();
      listeners.set(name, fresh);
      source.addEventListener(name, (e) => {
        const data = JSON.parse((e as MessageEvent<string>).data) as unknown;
        for (const l of fresh) l(data);
      });
      set = fresh;
    }
    set.add(listener);
    return () => set.delete(listener);
  }, deps);
}

/** Pretty JSON of any value from the API, as text. */
export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? "undefined";
}
