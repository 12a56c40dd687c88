import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { api, Problem, when } from "./lib.js";

interface WorkerRow {
  id: string;
  lastSeen: number;
  queues: string[];
}

export function Workers() {
  const [list, setList] = useState<WorkerRow[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const load = () => api<WorkerRow[]>("api/workers").then(setList, setError);
    void load();
    const timer = setInterval(load, 5000);
    return () => clearInterval(timer);
  }, []);
  if (error !== null) return html`<${Problem} error=${error} />`;
  if (list === null) return html`<p>Loading…</p>`;
  return html`<section>
    <p role="status">${list.length} worker(s) alive</p>
    <table>
      <thead><tr><th>Worker</th><th>Last heartbeat</th><th>Queues</th></tr></thead>
      <tbody>
        ${list.map(
          (w) => html`<tr data-worker=${w.id}>
            <td><code>${w.id}</code></td><td>${when(w.lastSeen)}</td><td>${w.queues.join(", ")}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}
