import type { DashboardStates } from "./sources.js";

/** A state change as the `state` SSE event carries it. */
export interface StateChange {
  messageId: string;
  status: string;
}

/** How often the feed reads the states backend while someone listens, ms. */
export const STATE_POLL_MS = 1000;
/** States read per poll from each listing (newest, and started). */
const LISTED = 100;
/** Unfinished messages followed by id once they fall out of both listings. */
const FOLLOWED = 200;
/** Statuses remembered, so changes can be told from first sightings; oldest forgotten first. */
const REMEMBERED = 2000;

const UNFINISHED = new Set(["pending", "started"]);

interface StateLike {
  messageId?: unknown;
  status?: unknown;
}

/**
 * Turns the states backend into a stream of changes, without reading it whole: every second,
 * while at least one client listens, it reads the newest states, the started ones, and the
 * unfinished ones it saw before (each bounded), and reports every status that differs from
 * the one it last saw. One poll serves every client.
 */
export class StateFeed {
  private readonly states: DashboardStates;
  private readonly listeners = new Set<(change: StateChange) => void>();
  private readonly seen = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private primed = false;

  constructor(states: DashboardStates) {
    this.states = states;
  }

  /** Listen for changes; returns the function that stops listening. */
  subscribe(listener: (change: StateChange) => void): () => void {
    this.listeners.add(listener);
    if (this.timer === undefined) this.schedule(0);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer !== undefined) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
    };
  }

  private schedule(delay: number): void {
    this.timer = setTimeout(() => {
      void this.poll().finally(() => {
        if (this.listeners.size > 0) this.schedule(STATE_POLL_MS);
        else this.timer = undefined;
      });
    }, delay);
    this.timer.unref?.();
  }

  /** One read of the backend, telling listeners what changed since the last. */
  async poll(): Promise<void> {
    let records: StateLike[];
    try {
      records = await this.read();
    } catch {
      // The counts stream reports backend outages; the next poll tries again.
      return;
    }
    const changes: StateChange[] = [];
    for (const r of records) {
      if (typeof r.messageId !== "string" || typeof r.status !== "string") continue;
      const before = this.seen.get(r.messageId);
      if (before === r.status) continue;
      this.seen.delete(r.messageId);
      this.seen.set(r.messageId, r.status);
      if (this.primed) changes.push({ messageId: r.messageId, status: r.status });
    }
    while (this.seen.size > REMEMBERED) this.seen.delete(this.seen.keys().next().value as string);
    this.primed = true;
    for (const change of changes) for (const listener of this.listeners) listener(change);
  }

  private async read(): Promise<StateLike[]> {
    const [newest, started] = (await Promise.all([
      this.states.list({ offset: 0, limit: LISTED }),
      this.states.list({ status: "started", offset: 0, limit: LISTED }),
    ])) as StateLike[][];
    const listed = new Set([...newest!, ...started!].map((r) => r.messageId));
    const followed: string[] = [];
    for (const [id, status] of this.seen) {
      if (UNFINISHED.has(status) && !listed.has(id)) followed.push(id);
    }
    // The most recently seen first: those are the likeliest to be on someone's page.
    const ids = followed.reverse().slice(0, FOLLOWED);
    const more = (
      ids.length === 0
        ? []
        : this.states.getMany !== undefined
          ? await this.states.getMany(ids)
          : await Promise.all(ids.map((id) => this.states.get(id)))
    ) as (StateLike | undefined)[];
    const gone = ids.filter((_, i) => more[i] === undefined);
    for (const id of gone) this.seen.delete(id);
    return [...newest!, ...started!, ...more.filter((r): r is StateLike => r !== undefined)];
  }
}
