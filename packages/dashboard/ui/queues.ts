import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import type { QueueSummary } from "../src/queues.js";
import { api, Link, Problem, readOnly, useEvent } from "./lib.js";
import { Sparkline } from "./sparkline.js";

// The API's own shape (a type-only import: nothing of the server is bundled).
type Queue = QueueSummary;

/** Points kept per queue: a minute of counts events. */
const POINTS = 60;
/** Per queue: its last backlog and how much it shrank at each counts event. */
const history = new Map<string, { backlog: number; drained: number[] }>();

// Counts carry no "processed" figure: what left the backlog (ready, delayed, in progress)
// between two events is the throughput shown. Sends during the interval hide some of it.
function record(queues: Queue[]) {
  for (const q of queues) {
    const backlog = q.ready + q.delayed + q.inProgress;
    const h = history.get(q.name);
    if (h === undefined) {
      history.set(q.name, { backlog, drained: [0] });
      continue;
    }
    h.drained.push(Math.max(0, h.backlog - backlog));
    if (h.drained.length > POINTS) h.drained.shift();
    h.backlog = backlog;
  }
}

export function Queues() {
  const [queues, setQueues] = useState<Queue[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<Queue[]>("api/queues").then(setQueues, setError);
  }, []);
  useEvent(
    "counts",
    (data) => {
      const list = (data as { queues: Queue[] }).queues;
      record(list);
      setQueues(list);
    },
    [],
  );
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
        <th>Throughput (last minute)</th>
        ${readOnly ? null : html`<th>Actions</th>`}
      </tr>
    </thead>
    <tbody>
      ${queues.map((q) => {
        const drained = history.get(q.name)?.drained ?? [];
        const last = drained.at(-1) ?? 0;
        return html`<tr data-queue=${q.name}>
          <td>${q.name}</td>
          <td data-count="ready">${q.ready}</td>
          <td data-count="delayed">${q.delayed}</td>
          <td data-count="inProgress">${q.inProgress}</td>
          <td data-count="dead"><${Link} to=${`dead-letters/${encodeURIComponent(q.name)}`}>${q.dead}<//></td>
          <td>${q.paused ? "paused" : "running"}</td>
          <td class="throughput">
            <${Sparkline} points=${drained} label=${`${q.name}: messages done per second over the last minute, now ${last}`} />
            <span class="muted"> ${last}/s</span>
          </td>
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
        </tr>`;
      })}
    </tbody>
  </table>`;
}
