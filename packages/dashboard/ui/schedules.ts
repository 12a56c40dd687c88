import { html } from "htm/preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { api, Problem, readOnly, when } from "./lib.js";

interface Schedule {
  name: string;
  spec: unknown;
  nextRun: number | null;
  lastRun: number | null;
  lastMessageId: string | null;
}

export function Schedules() {
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
