// The dashboard page: Preact + htm, bundled into dist/ui/app.js at build time (no CDN).
// Everything from messages goes through text nodes (Preact escapes), never innerHTML.
import { html } from "htm/preact";
import { render } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";

interface Queue {
  name: string;
  ready: number;
  delayed: number;
  dead: number;
  inProgress: number;
  paused: boolean;
}

interface DeadLetter {
  messageId: string;
  actorName: string | null;
  args: unknown[];
  kwargs: Record<string, unknown>;
  error?: string;
  raw?: string;
}

interface Schedule {
  name: string;
  spec: unknown;
  nextRun: number | null;
  lastRun: number | null;
  lastMessageId: string | null;
}

const readOnly = document.documentElement.dataset.readOnly === "true";
// <base href> points at the mount point: every URL below is relative to it.
const base = new URL(document.baseURI);

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function api<T>(path: string, method: "GET" | "POST" = "GET"): Promise<T> {
  const res = await fetch(new URL(path, base), {
    method,
    headers: method === "POST" ? { "content-type": "application/json" } : {},
    body: method === "POST" ? "{}" : undefined,
  });
  const body = (await res.json()) as { error?: string; code?: string };
  if (!res.ok) throw new ApiError(res.status, String(body.code), String(body.error));
  return body as T;
}

function route(): string[] {
  const inner = decodeURI(location.pathname).slice(decodeURI(base.pathname).length);
  return inner.split("/").filter((p) => p !== "");
}

function go(path: string, e?: Event) {
  e?.preventDefault();
  history.pushState(null, "", new URL(path, base));
  window.dispatchEvent(new Event("popstate"));
}

function when(ms: number | null): string {
  return ms === null ? "—" : new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}

function Link(props: { to: string; children: unknown }) {
  return html`<a href=${new URL(props.to, base).pathname} onClick=${(e: Event) => go(props.to, e)}
    >${props.children}</a
  >`;
}

function Problem(props: { error: unknown }) {
  const e = props.error;
  if (e instanceof ApiError && e.code === "TASKQ_NOT_CONFIGURED")
    return html`<p class="muted" role="status">Not configured: ${e.message}.</p>`;
  return html`<p class="error" role="alert">${e instanceof Error ? e.message : String(e)}</p>`;
}

function Queues() {
  const [queues, setQueues] = useState<Queue[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<Queue[]>("api/queues").then(setQueues, setError);
    const events = new EventSource(new URL("api/events", base));
    events.addEventListener("counts", (e) => {
      setQueues((JSON.parse((e as MessageEvent<string>).data) as { queues: Queue[] }).queues);
    });
    return () => events.close();
  }, []);
  const act = async (q: string, action: "pause" | "resume") => {
    try {
      await api(`api/queues/${encodeURIComponent(q)}/${action}`, "POST");
      setQueues(await api<Queue[]>("api/queues"));
    } catch (err) {
      setError(err);
    }
  };
  if (error !== null) return html`<${Problem} error=${error} />`;
  if (queues === null) return html`<p>Loading…</p>`;
  return html`<table>
    <thead>
      <tr>
        <th>Queue</th><th>Ready</th><th>Delayed</th><th>In progress</th><th>Dead</th><th>State</th>
        ${readOnly ? null : html`<th>Actions</th>`}
      </tr>
    </thead>
    <tbody>
      ${queues.map(
        (q) => html`<tr data-queue=${q.name}>
          <td>${q.name}</td>
          <td data-count="ready">${q.ready}</td>
          <td data-count="delayed">${q.delayed}</td>
          <td data-count="inProgress">${q.inProgress}</td>
          <td data-count="dead"><${Link} to=${`dead-letters/${encodeURIComponent(q.name)}`}>${q.dead}<//></td>
          <td>${q.paused ? "paused" : "running"}</td>
          ${
            readOnly
              ? null
              : html`<td>
                  ${
                    q.paused
                      ? html`<button onClick=${() => act(q.name, "resume")}>Resume</button>`
                      : html`<button onClick=${() => act(q.name, "pause")}>Pause</button>`
                  }
                </td>`
          }
        </tr>`,
      )}
    </tbody>
  </table>`;
}

function DeadLetters(props: { queue: string }) {
  const q = encodeURIComponent(props.queue);
  const [page, setPage] = useState<{ total: number; items: DeadLetter[] } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState("");
  const load = useCallback(() => {
    api<{ total: number; items: DeadLetter[] }>(`api/queues/${q}/dead-letters?limit=100`).then(
      setPage,
      setError,
    );
  }, [q]);
  useEffect(load, [load]);
  const act = async (action: "requeue" | "purge") => {
    const verb = action === "requeue" ? "Requeue" : "Delete";
    if (!confirm(`${verb} every dead letter of ${props.queue}?`)) return;
    try {
      const r = await api<Record<string, number>>(`api/queues/${q}/dead-letters/${action}`, "POST");
      setNote(`${action === "requeue" ? "Requeued" : "Purged"} ${Object.values(r)[0]} message(s).`);
      load();
    } catch (err) {
      setError(err);
    }
  };
  if (error !== null) return html`<${Problem} error=${error} />`;
  if (page === null) return html`<p>Loading…</p>`;
  return html`<section>
    <h2>Dead letters of ${props.queue} (${page.total})</h2>
    ${note === "" ? null : html`<p role="status">${note}</p>`}
    ${
      readOnly || page.total === 0
        ? null
        : html`<p>
            <button onClick=${() => act("requeue")}>Requeue</button>
            <button onClick=${() => act("purge")}>Purge</button>
          </p>`
    }
    <table>
      <thead><tr><th>Message</th><th>Actor</th><th>Arguments</th><th>Error</th></tr></thead>
      <tbody>
        ${page.items.map(
          (d) => html`<tr>
            <td><code>${d.messageId}</code></td>
            <td>${d.actorName ?? "(undecodable)"}</td>
            <td><code class="args">${d.raw ?? JSON.stringify({ args: d.args, kwargs: d.kwargs })}</code></td>
            <td><pre>${d.error ?? ""}</pre></td>
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

function Schedules() {
  const [list, setList] = useState<Schedule[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(() => api<Schedule[]>("api/schedules").then(setList, setError), []);
  useEffect(() => void load(), [load]);
  const trigger = async (name: string) => {
    try {
      await api(`api/schedules/${encodeURIComponent(name)}/trigger`, "POST");
      await load();
    } catch (err) {
      setError(err);
    }
  };
  if (error !== null) return html`<${Problem} error=${error} />`;
  if (list === null) return html`<p>Loading…</p>`;
  return html`<table>
    <thead><tr><th>Schedule</th><th>Spec</th><th>Next run</th><th>Last run</th>${readOnly ? null : html`<th>Actions</th>`}</tr></thead>
    <tbody>
      ${list.map(
        (s) => html`<tr>
          <td>${s.name}</td>
          <td><code>${typeof s.spec === "string" ? s.spec : JSON.stringify(s.spec)}</code></td>
          <td>${when(s.nextRun)}</td>
          <td>${when(s.lastRun)}</td>
          ${readOnly ? null : html`<td><button onClick=${() => trigger(s.name)}>Trigger</button></td>`}
        </tr>`,
      )}
    </tbody>
  </table>`;
}

const STATUSES = ["pending", "started", "success", "failure", "skipped", "canceled"];
const PAGE = 50;

interface StateRow {
  messageId: string;
  status: string;
  actorName: string;
  queueName: string;
  enqueuedAt?: number;
}

function MessageList() {
  const [filter, setFilter] = useState({ status: "", actor: "", queue: "" });
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<{ total: number; items: StateRow[] } | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const q = new URLSearchParams({ offset: String(offset), limit: String(PAGE) });
    if (filter.status !== "") q.set("status", filter.status);
    if (filter.actor !== "") q.set("actor", filter.actor);
    if (filter.queue !== "") q.set("queue", filter.queue);
    api<{ total: number; items: StateRow[] }>(`api/messages?${q}`).then(setPage, setError);
  }, [filter, offset]);
  const set = (key: "status" | "actor" | "queue") => (e: Event) => {
    setOffset(0);
    setFilter({ ...filter, [key]: (e.target as HTMLInputElement).value });
  };
  if (error !== null) return html`<${Problem} error=${error} />`;
  return html`<section>
    <form onSubmit=${(e: Event) => e.preventDefault()}>
      <label>Status <select aria-label="Status" onChange=${set("status")}>
        <option value="">any</option>
        ${STATUSES.map((st) => html`<option value=${st}>${st}</option>`)}
      </select></label>
      <label> Actor <input aria-label="Actor" onChange=${set("actor")} /></label>
      <label> Queue <input aria-label="Queue" onChange=${set("queue")} /></label>
    </form>
    ${
      page === null
        ? html`<p>Loading…</p>`
        : html`<p role="status">${page.total} message(s)</p>
            <table>
              <thead><tr><th>Message</th><th>Status</th><th>Actor</th><th>Queue</th><th>Enqueued</th></tr></thead>
              <tbody>
                ${page.items.map(
                  (m) => html`<tr data-message=${m.messageId}>
                    <td><${Link} to=${`messages/${encodeURIComponent(m.messageId)}`}>${m.messageId}<//></td>
                    <td>${m.status}</td><td>${m.actorName}</td><td>${m.queueName}</td>
                    <td>${when(m.enqueuedAt ?? null)}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
            <p>
              ${offset > 0 ? html`<button onClick=${() => setOffset(Math.max(0, offset - PAGE))}>Previous</button>` : null}
              ${offset + PAGE < page.total ? html`<button onClick=${() => setOffset(offset + PAGE)}>Next</button>` : null}
            </p>`
    }
  </section>`;
}

function MessageDetail(props: { id: string }) {
  const [data, setData] = useState<Record<string, unknown> | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<Record<string, unknown>>(`api/messages/${encodeURIComponent(props.id)}`).then(
      setData,
      setError,
    );
  }, [props.id]);
  if (error !== null) return html`<${Problem} error=${error} />`;
  if (data === null) return html`<p>Loading…</p>`;
  return html`<section>
    <h2>Message <code>${props.id}</code></h2>
    <p>Status: <strong data-field="status">${String(data.status)}</strong></p>
    <pre class="state">${JSON.stringify(data, null, 2)}</pre>
  </section>`;
}

function App() {
  const [parts, setParts] = useState(route());
  useEffect(() => {
    const onPop = () => setParts(route());
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  const [section, arg] = parts;
  let view: unknown;
  if (section === "dead-letters" && arg !== undefined) view = html`<${DeadLetters} queue=${arg} />`;
  else if (section === "queues" && arg !== undefined) view = html`<${DeadLetters} queue=${arg} />`;
  else if (section === "schedules") view = html`<${Schedules} />`;
  else if (section === "messages" && arg !== undefined) view = html`<${MessageDetail} id=${arg} />`;
  else if (section === "messages") view = html`<${MessageList} />`;
  else view = html`<${Queues} />`;
  return html`<header>
      <h1>taskq</h1>
      <nav>
        <${Link} to="./">Queues<//> <${Link} to="schedules">Schedules<//> <${Link} to="messages">Messages<//>
        ${readOnly ? html`<span class="muted">read-only</span>` : null}
      </nav>
    </header>
    <main>${view}</main>`;
}

render(html`<${App} />`, document.getElementById("app") as HTMLElement);
