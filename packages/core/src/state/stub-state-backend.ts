import { getEncoder } from "../encoder.js";
import type { StateWatch } from "./state-backend.js";
import { StateBackend } from "./state-backend.js";
import type { StateFilter, StateListOptions, StateRecord, StateUpdate } from "./types.js";
import { changeWatch } from "./watch.js";

interface Stored {
  state: StateRecord;
  expiresAt: number;
}

function matches(state: StateRecord, filter: StateFilter): boolean {
  return (
    (filter.status === undefined || state.status === filter.status) &&
    (filter.actorName === undefined || state.actorName === filter.actorName) &&
    (filter.queueName === undefined || state.queueName === filter.queueName) &&
    (filter.compositionId === undefined || state.compositionId === filter.compositionId) &&
    (filter.enqueuedBefore === undefined || state.enqueuedAt < filter.enqueuedBefore)
  );
}

/** Newest first; ties by id, so paging is stable. */
function newestFirst(a: StateRecord, b: StateRecord): number {
  return b.enqueuedAt - a.enqueuedAt || (a.messageId < b.messageId ? 1 : -1);
}

/**
 * In-memory state backend, for tests and one-process use. States go through the encoder on
 * the way in and out, as with a real backend, so a reader never shares objects with a writer.
 */
export class StubStateBackend extends StateBackend {
  private readonly states = new Map<string, Stored>();
  private readonly watchers = new Map<string, Set<() => void>>();

  async write(updates: readonly StateUpdate[]): Promise<void> {
    const now = Date.now();
    for (const update of updates) {
      const current = this.live(update.messageId, now);
      const next = StateBackend.merge(current, update);
      if (current !== undefined) this.states.get(update.messageId)!.expiresAt = now + update.ttl;
      if (next === undefined) continue;
      this.states.set(update.messageId, { state: copy(next), expiresAt: now + update.ttl });
      for (const notify of this.watchers.get(update.messageId) ?? []) notify();
    }
  }

  async get(messageId: string): Promise<StateRecord | undefined> {
    const state = this.live(messageId, Date.now());
    return state === undefined ? undefined : copy(state);
  }

  async list(options?: StateListOptions): Promise<StateRecord[]> {
    const { filter, offset, limit } = StateBackend.checkListOptions(options, true);
    return this.matching(filter)
      .sort(newestFirst)
      .slice(offset, offset + limit)
      .map(copy);
  }

  async count(filter?: StateFilter): Promise<number> {
    return this.matching(StateBackend.checkListOptions(filter, false).filter).length;
  }

  protected async watch(messageId: string): Promise<StateWatch> {
    return changeWatch(this.watchers, messageId);
  }

  /** Drop every state. */
  clear(): void {
    this.states.clear();
  }

  private live(messageId: string, now: number): StateRecord | undefined {
    const stored = this.states.get(messageId);
    if (stored === undefined) return undefined;
    if (stored.expiresAt <= now) {
      this.states.delete(messageId);
      return undefined;
    }
    return stored.state;
  }

  private matching(filter: StateFilter): StateRecord[] {
    const now = Date.now();
    const out: StateRecord[] = [];
    for (const id of [...this.states.keys()]) {
      const state = this.live(id, now);
      if (state !== undefined && matches(state, filter)) out.push(state);
    }
    return out;
  }
}

function copy(state: StateRecord): StateRecord {
  const encoder = getEncoder();
  return encoder.decode(encoder.encode(state)) as StateRecord;
}
