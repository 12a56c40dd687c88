import { html } from "htm/preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiError, api, canCancel, confirmed, json, Link, Problem, useEvent, when } from "./lib.js";

const STATUSES = ["pending", "started", "success", "failure", "skipped", "canceled"];
const CANCELABLE = new Set(["pending", "started"]);
const PAGE = 50;

interface StateRow {
  messageId: string;
  status: string;
  actorName: string;
  queueName: string;
  enqueuedAt?: number;
}

interface StateChange {
  messageId: string;
  status: string;
}

/** Cancel one message after a confirmation; resolves to a line saying what happened. */
async function cancelMessage(id: string): Promise<string | undefined> {
  if (!confirmed(`Cancel message ${id}?`)) return undefined;
  const r = await api<{ outcome: string; status?: string }>(
    `api/messages/${encodeURIComponent(id)}/cancel`,
    "POST",
  );
  return r.outcome === "canceled"
    ? `Canceled ${id}.`
    : `${id} had already finished (${r.status ?? "unknown"}).`;
}

export function MessageList() {
  const [filter, setFilter] = useState({ status: "", actor: "", queue: "" });
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<{ total: number; items: StateRow[] } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState("");
  const load = useCallback(() => {
    const q = new URLSearchParams({ offset: String(offset), limit: String(PAGE) });
    if (filter.status !== "") q.set("status", filter.status);
    if (filter.actor !== "") q.set("actor", filter.actor);
    if (filter.queue !== "") q.set("queue", filter.queue);
    api<{ total: number; items: StateRow[] }>(`api/messages?${q}`).then(setPage, setError);
  }, [filter, offset]);
  useEffect(load, [load]);
  // Rows on the page follow their message's status live.
  useEvent(
    "state",
    (data) => {
      const change = data as StateChange;
      setPage((p) =>
        p === null || !p.items.some((m) => m.messageId === change.messageId)
          ? p
          : {
              ...p,
              items: p.items.map((m) =>
                m.messageId === change.messageId ? { ...m, status: change.status } : m,
              ),
            },
      );
    },
    [],
  );
  const set = (key: "status" | "actor" | "queue") => (e: Event) => {
    setOffset(0);
    setFilter({ ...filter, [key]: (e.target as HTMLInputElement).value });
  };
  const cancel = async (id: string) => {
    try {
      const said = await cancelMessage(id);
      if (said !== undefined) {
        setNote(said);
        load();
      }
    } catch (err) {
      setError(err);
    }
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
    ${note === "" ? null : html`<p class="note">${note}</p>`}
    ${
      page === null
        ? html`<p>Loading…</p>`
        : html`<p role="status">${page.total} message(s)</p>
            <table>
              <thead><tr><th>Message</th><th>Status</th><th>Actor</th><th>Queue</th><th>Enqueued</th>${canCancel ? html`<th>Actions</th>` : null}</tr></thead>
              <tbody>
                ${page.items.map(
                  (m) => html`<tr data-message=${m.messageId}>
                    <td><${Link} to=${`messages/${encodeURIComponent(m.messageId)}`}>${m.messageId}<//></td>
                    <td data-field="status">${m.status}</td><td>${m.actorName}</td><td>${m.queueName}</td>
                    <td>${when(m.enqueuedAt)}</td>
                    ${
                      canCancel
                        ? html`<td>${
                            CANCELABLE.has(m.status)
                              ? html`<button onClick=${() => cancel(m.messageId)}>Cancel</button>`
                              : null
                          }</td>`
                        : null
                    }
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

function Progress(props: { value: unknown }) {
  const v = props.value;
  if (typeof v === "number")
    return html`<progress max="1" value=${v} aria-label="Progress"></progress> ${Math.round(v * 100)}%`;
  return html`<code>${json(v)}</code>`;
}

/** The other members of the message's group or pipeline, linked. */
function Composition(props: { id: string; self: string }) {
  const [members, setMembers] = useState<StateRow[] | null>(null);
  useEffect(() => {
    api<{ items: StateRow[] }>(
      `api/messages?composition=${encodeURIComponent(props.id)}&limit=50`,
    ).then(
      (r) => setMembers(r.items),
      () => setMembers([]),
    );
  }, [props.id]);
  return html`<p>
    Group/pipeline <code>${props.id}</code>:
    ${
      members === null
        ? " …"
        : members.map(
            (m) =>
              html` <span data-member=${m.messageId}>${
                m.messageId === props.self
                  ? html`<strong>this one</strong>`
                  : html`<${Link} to=${`messages/${encodeURIComponent(m.messageId)}`}>${m.messageId}<//>`
              } (${m.status})</span>`,
          )
    }
  </p>`;
}

export function MessageDetail(props: { id: string }) {
  const [data, setData] = useState<Record<string, unknown> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState("");
  const load = useCallback(() => {
    api<Record<string, unknown>>(`api/messages/${encodeURIComponent(props.id)}`).then((d) => {
      setError(null);
      setData(d);
    }, setError);
  }, [props.id]);
  useEffect(load, [load]);
  useEvent(
    "state",
    (change) => {
      if ((change as StateChange).messageId === props.id) load();
    },
    [props.id, load],
  );
  const cancel = async () => {
    try {
      const said = await cancelMessage(props.id);
      if (said !== undefined) {
        setNote(said);
        load();
      }
    } catch (err) {
      setNote(err instanceof Error ? err.message : String(err));
    }
  };
  if (error !== null) {
    if (error instanceof ApiError && error.code === "TASKQ_UNKNOWN_MESSAGE")
      return html`<p class="muted" role="status">No message with id <code>${props.id}</code> (unknown, or its state expired).</p>`;
    return html`<${Problem} error=${error} />`;
  }
  if (data === null) return html`<p>Loading…</p>`;
  const status = String(data.status);
  const err = data.error as { type?: string; message?: string } | undefined;
  return html`<section>
    <h2>Message <code>${props.id}</code></h2>
    ${note === "" ? null : html`<p class="note">${note}</p>`}
    <p>
      Status: <strong data-field="status">${status}</strong>
      ${canCancel && CANCELABLE.has(status) ? html` <button onClick=${cancel}>Cancel</button>` : null}
    </p>
    <table class="fields">
      <tbody>
        <tr><th>Actor</th><td>${String(data.actorName)}</td></tr>
        <tr><th>Queue</th><td>${String(data.queueName)}</td></tr>
        <tr><th>Retries</th><td>${String(data.retries ?? 0)}</td></tr>
        <tr><th>History</th><td>
          <ol class="history">
            <li>enqueued ${when(data.enqueuedAt as number | undefined)}</li>
            ${data.eta === undefined ? null : html`<li>due ${when(data.eta as number)}</li>`}
            ${data.startedAt === undefined ? null : html`<li>started ${when(data.startedAt as number)}</li>`}
            ${data.endedAt === undefined ? null : html`<li>${status} ${when(data.endedAt as number)}</li>`}
          </ol>
        </td></tr>
        ${data.progress === undefined ? null : html`<tr><th>Progress</th><td><${Progress} value=${data.progress} /></td></tr>`}
        <tr><th>Arguments</th><td><pre class="args">${json({ args: data.args, kwargs: data.kwargs })}</pre></td></tr>
        <tr><th>Options</th><td><pre class="options">${json(data.options)}</pre></td></tr>
        ${"result" in data ? html`<tr><th>Result</th><td><pre class="result">${json(data.result)}</pre></td></tr>` : null}
        ${err === undefined ? null : html`<tr><th>Error</th><td><pre class="error">${`${err.type ?? ""}: ${err.message ?? ""}`}</pre></td></tr>`}
      </tbody>
    </table>
    ${typeof data.compositionId === "string" ? html`<${Composition} id=${data.compositionId} self=${props.id} />` : null}
    <details><summary>Raw state</summary><pre class="state">${json(data)}</pre></details>
  </section>`;
}
