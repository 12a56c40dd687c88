// The dashboard page: Preact + htm, bundled into dist/ui/app.js at build time (no CDN).
// Everything from messages goes through text nodes (Preact escapes), never innerHTML.
import { html } from "htm/preact";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { DeadLetters } from "./dead-letters.js";
import { go, Link, readOnly, route } from "./lib.js";
import { MessageDetail, MessageList } from "./messages.js";
import { Queues } from "./queues.js";
import { Schedules } from "./schedules.js";
import { Workers } from "./workers.js";

function Search() {
  const [id, setId] = useState("");
  return html`<form role="search" onSubmit=${(e: Event) => {
    e.preventDefault();
    const wanted = id.trim();
    if (wanted !== "") go(`messages/${encodeURIComponent(wanted)}`);
  }}>
    <input aria-label="Message id" placeholder="message id" value=${id}
      onInput=${(e: Event) => setId((e.target as HTMLInputElement).value)} />
    <button type="submit">Find</button>
  </form>`;
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
  if ((section === "dead-letters" || section === "queues") && arg !== undefined)
    view = html`<${DeadLetters} queue=${arg} key=${arg} />`;
  else if (section === "schedules") view = html`<${Schedules} />`;
  else if (section === "workers") view = html`<${Workers} />`;
  else if (section === "messages" && arg !== undefined)
    view = html`<${MessageDetail} id=${arg} key=${arg} />`;
  else if (section === "messages") view = html`<${MessageList} />`;
  else view = html`<${Queues} />`;
  return html`<header>
      <h1>taskq</h1>
      <nav>
        <${Link} to="./">Queues<//> <${Link} to="messages">Messages<//> <${Link} to="schedules">Schedules<//>
        <${Link} to="workers">Workers<//>
        ${readOnly ? html`<span class="muted">read-only</span>` : null}
      </nav>
      <${Search} />
    </header>
    <main>${view}</main>`;
}

render(html`<${App} />`, document.getElementById("app") as HTMLElement);
