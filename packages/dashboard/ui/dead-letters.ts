import { html } from "htm/preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { api, confirmed, Link, Problem, readOnly, when } from "./lib.js";

interface DeadLetter {
  messageId: string;
  actorName: string | null;
  args: unknown[];
  kwargs: Record<string, unknown>;
  failedAt: number | null;
  error?: string;
  raw?: string;
}

const PAGE = 50;

/** A traceback folded to its first line; the rest one click away. */
function Traceback(props: { text: string }) {
  const [first, ...rest] = props.text.split("\n");
  if (rest.length === 0) return html`<code>${first}</code>`;
  return html`<details class="traceback"><summary>${first}</summary><pre>${rest.join("\n")}</pre></details>`;
}

export function DeadLetters(props: { queue: string }) {
  const q = encodeURIComponent(props.queue);
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<{ total: number; items: DeadLetter[] } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState("");
  const load = useCallback(() => {
    api<{ total: number; items: DeadLetter[] }>(
      `api/queues/${q}/dead-letters?offset=${offset}&limit=${PAGE}`,
    ).then(setPage, setError);
  }, [q, offset]);
  useEffect(load, [load]);
  const act = async (action: "requeue" | "purge", id?: string) => {
    const verb = action === "requeue" ? "Requeue" : "Delete";
    const what = id === undefined ? `every dead letter of ${props.queue}` : `dead letter ${id}`;
    if (!confirmed(`${verb} ${what}?`)) return;
    try {
      const r = await api<{ requeued?: number; purged?: number }>(
        `api/queues/${q}/dead-letters/${action}`,
        "POST",
        id === undefined ? {} : { ids: [id] },
      );
      setNote(
        action === "requeue"
          ? `Requeued ${r.requeued ?? 0} message(s).`
          : `Purged ${r.purged ?? 0} message(s).`,
      );
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
            <button onClick=${() => act("requeue")}>Requeue all</button>
            <button onClick=${() => act("purge")}>Purge all</button>
          </p>`
    }
    <table>
      <thead><tr><th>Message</th><th>Actor</th><th>Arguments</th><th>Failed</th>${readOnly ? null : html`<th>Actions</th>`}<th>Error</th></tr></thead>
      <tbody>
        ${page.items.map(
          (d) => html`<tr data-dead=${d.messageId}>
            <td><${Link} to=${`messages/${encodeURIComponent(d.messageId)}`}><code>${d.messageId}</code><//></td>
            <td>${d.actorName ?? "(undecodable)"}</td>
            <td><code class="args">${d.raw ?? JSON.stringify({ args: d.args, kwargs: d.kwargs })}</code></td>
            <td>${when(d.failedAt)}</td>
            ${
              readOnly
                ? null
                : html`<td class="actions">
                    <button onClick=${() => act("requeue", d.messageId)}>Requeue</button>
                    <button onClick=${() => act("purge", d.messageId)}>Purge</button>
                  </td>`
            }
            <td><${Traceback} text=${d.error ?? ""} /></td>
          </tr>`,
        )}
      </tbody>
    </table>
    <p>
      ${offset > 0 ? html`<button onClick=${() => setOffset(Math.max(0, offset - PAGE))}>Previous</button>` : null}
      ${offset + PAGE < page.total ? html`<button onClick=${() => setOffset(offset + PAGE)}>Next</button>` : null}
    </p>
  </section>`;
}
