import type { Broker } from "../broker.js";
import { interruptMessage } from "../context.js";
import { Canceled, InvalidArgument, SkipMessage } from "../errors.js";
import { CANCEL_BRAND } from "../lifecycle/lookup.js";
import { lazyLogger } from "../logger.js";
import type { MessageProxy } from "../message-proxy.js";
import { Middleware } from "../middleware/middleware.js";
import { clip } from "../render.js";
import type { CancelBackend, CancelSubscription } from "./cancel-backend.js";

const log = lazyLogger("taskq.middleware.Cancel");

/** Options of `new Cancel({ backend })`. */
export interface CancelOptions {
  /** Where cancel marks are kept: a StubCancelBackend, a RedisCancelBackend... */
  backend: CancelBackend;
}

/** How many canceled messages this middleware has stopped, in this process. */
export interface CancelCounts {
  /** Skipped before they started. */
  skipped: number;
  /** Interrupted while they ran. */
  interrupted: number;
}

/** Looked up once per fetched batch: true, false, or the answer on its way. */
const CHECK = Symbol("taskq.cancel.check");
/** A notice named it (or its composition) after it was fetched. */
const NOTICED = Symbol("taskq.cancel.noticed");
/** Counted and logged already (a notice may interrupt it while its lookup is under way). */
const STOPPED = Symbol("taskq.cancel.stopped");
type Checked = MessageProxy & {
  [CHECK]?: boolean | Promise<boolean>;
  [NOTICED]?: boolean;
  [STOPPED]?: boolean;
};

function compositionOf(proxy: MessageProxy): string | undefined {
  const id = proxy.options.composition_id;
  return typeof id === "string" && id.length > 0 ? id : undefined;
}

/**
 * Honours cancels: a message canceled before it starts is skipped (status canceled, no retry,
 * no callbacks, not dead-lettered); one canceled while it runs has its AbortSignal aborted with
 * Canceled and is not retried. A fetched batch is checked against the marks in one round trip;
 * later cancels reach the worker as notices (one subscription per worker process). A member
 * of a group with `cancelOnError` that fails for good cancels the rest of its composition.
 */
export class Cancel extends Middleware {
  /** Where cancel marks are kept. */
  readonly backend: CancelBackend;
  private readonly tally: CancelCounts = { skipped: 0, interrupted: 0 };
  /** Fetched and not started yet. */
  private readonly held = new Map<string, MessageProxy>();
  private readonly running = new Map<string, MessageProxy>();
  /** Held or running messages by composition id. */
  private readonly compositions = new Map<string, Set<MessageProxy>>();
  private subscription: Promise<CancelSubscription> | undefined;
  private workers = 0;
  private checkFailing = false;

  constructor(options: CancelOptions) {
    super();
    if (options?.backend === undefined) {
      throw new InvalidArgument(
        "Cancel needs a backend: new Cancel({ backend: new StubCancelBackend() })",
      );
    }
    this.backend = options.backend;
    Object.defineProperty(this, CANCEL_BRAND, { value: true });
  }

  /** Canceled messages skipped and interrupted in this process so far. */
  get counts(): CancelCounts {
    return { ...this.tally };
  }

  override async beforeWorkerBoot(): Promise<void> {
    this.workers++;
    this.subscription ??= this.backend.subscribe({
      onCancel: (ids) => this.noticed(ids),
      onGap: () => this.recheck(),
    });
    try {
      await this.subscription;
    } catch (err) {
      this.subscription = undefined;
      this.workers--;
      throw err;
    }
  }

  override async afterWorkerShutdown(): Promise<void> {
    this.workers = Math.max(0, this.workers - 1);
    if (this.workers > 0) return;
    const subscription = this.subscription;
    this.subscription = undefined;
    this.held.clear();
    this.running.clear();
    this.compositions.clear();
    if (subscription === undefined) return;
    try {
      await (await subscription).close();
    } catch (err) {
      log.error({ err }, "Could not close the subscription to cancel notices.");
    }
  }

  override afterReceiveMessages(_broker: Broker, messages: readonly MessageProxy[]): void {
    const keys = new Set<string>();
    for (const proxy of messages) {
      this.held.set(proxy.messageId, proxy);
      this.index(proxy);
      keys.add(proxy.messageId);
      const composition = compositionOf(proxy);
      if (composition !== undefined) keys.add(composition);
    }
    const canceled = this.lookUp([...keys]);
    for (const proxy of messages) {
      const check = canceled.then((set) => {
        const answer = set.has(proxy.messageId) || set.has(compositionOf(proxy) ?? "");
        (proxy as Checked)[CHECK] = answer;
        return answer;
      });
      (proxy as Checked)[CHECK] = check;
    }
  }

  override beforeProcessMessage(_broker: Broker, proxy: MessageProxy): void | Promise<void> {
    const checked = proxy as Checked;
    this.held.delete(proxy.messageId);
    this.running.set(proxy.messageId, proxy);
    if (checked[NOTICED]) return this.skip(proxy);
    let check = checked[CHECK];
    if (check === undefined) {
      // Not announced by a worker's fetch (LocalBroker, say): look it up alone.
      const composition = compositionOf(proxy);
      this.index(proxy);
      check = this.lookUp(composition ? [proxy.messageId, composition] : [proxy.messageId]).then(
        (set) => set.size > 0,
      );
    }
    if (check === true) return this.skip(proxy);
    if (check === false) return;
    return check.then((canceled) => {
      if (canceled || checked[NOTICED]) this.skip(proxy);
    });
  }

  override afterProcessMessage(_broker: Broker, proxy: MessageProxy): void {
    this.forget(proxy);
  }

  override afterSkipMessage(_broker: Broker, proxy: MessageProxy): void {
    this.forget(proxy);
  }

  /**
   * Failed for good (about to be dead-lettered). With `cancelOnError`, the rest of its
   * composition is canceled here, before the worker frees this message's slot: the members
   * this process holds are skipped rather than started.
   */
  override beforeNack(_broker: Broker, proxy: MessageProxy): void | Promise<void> {
    this.forget(proxy);
    const composition = compositionOf(proxy);
    if (proxy.options.cancel_on_error !== true || composition === undefined) return;
    log.info(
      `Message ${clip(proxy.messageId)} failed for good; canceling the rest of its composition ${clip(composition)}.`,
    );
    this.noticed([composition]);
    return this.backend.cancel([composition]).catch((err: unknown) => {
      log.error(
        { err },
        `Could not record the cancel of composition ${clip(composition)} after message ${clip(proxy.messageId)} failed; only this process's members were stopped.`,
      );
    });
  }

  /** The ids among `keys` that are canceled; none when the backend cannot say (logged). */
  private lookUp(keys: string[]): Promise<Set<string>> {
    return this.backend.areCanceled(keys).then(
      (flags) => {
        if (this.checkFailing) {
          this.checkFailing = false;
          log.info("Checking messages against cancel marks again.");
        }
        const out = new Set<string>();
        flags.forEach((flag, i) => {
          if (flag) out.add(keys[i]!);
        });
        return out;
      },
      (err: unknown) => {
        if (!this.checkFailing) {
          this.checkFailing = true;
          log.error(
            { err },
            `Could not check ${keys.length} id(s) against cancel marks; running them (cancels noticed later still interrupt them).`,
          );
        }
        return new Set<string>();
      },
    );
  }

  private skip(proxy: MessageProxy): never {
    if (!(proxy as Checked)[STOPPED]) {
      (proxy as Checked)[STOPPED] = true;
      this.tally.skipped++;
      log.info(`Skipped canceled message ${clip(proxy.messageId)} (${clip(proxy.actorName)}).`);
    }
    const reason = new Canceled(`Message ${proxy.messageId} was canceled`);
    throw new SkipMessage(`Message ${proxy.messageId} was canceled`, { cause: reason });
  }

  private index(proxy: MessageProxy): void {
    const composition = compositionOf(proxy);
    if (composition === undefined) return;
    let set = this.compositions.get(composition);
    if (set === undefined) {
      set = new Set();
      this.compositions.set(composition, set);
    }
    set.add(proxy);
  }

  private forget(proxy: MessageProxy): void {
    if (this.running.get(proxy.messageId) === proxy) this.running.delete(proxy.messageId);
    if (this.held.get(proxy.messageId) === proxy) this.held.delete(proxy.messageId);
    const composition = compositionOf(proxy);
    if (composition === undefined) return;
    const set = this.compositions.get(composition);
    set?.delete(proxy);
    if (set?.size === 0) this.compositions.delete(composition);
  }

  /** Cancels announced by the backend: stop what this process holds or runs of them. */
  private noticed(ids: string[]): void {
    for (const id of ids) {
      const held = this.held.get(id);
      if (held !== undefined) (held as Checked)[NOTICED] = true;
      const running = this.running.get(id);
      if (running !== undefined) this.interrupt(running);
      const members = this.compositions.get(id);
      if (members === undefined) continue;
      for (const proxy of [...members]) {
        if (this.running.get(proxy.messageId) === proxy) this.interrupt(proxy);
        else (proxy as Checked)[NOTICED] = true;
      }
    }
  }

  private interrupt(proxy: MessageProxy): void {
    (proxy as Checked)[NOTICED] = true;
    const reason = new Canceled(`Message ${proxy.messageId} was canceled while it ran`);
    if (!interruptMessage(proxy, reason)) return;
    (proxy as Checked)[STOPPED] = true;
    this.tally.interrupted++;
    log.info(
      `Canceled message ${clip(proxy.messageId)} (${clip(proxy.actorName)}) while it ran: its AbortSignal is aborted and it is not retried.`,
    );
  }

  /** Notices may have been lost: look up everything held or running again. */
  private recheck(): void {
    const keys = new Set<string>([...this.held.keys(), ...this.running.keys()]);
    for (const id of this.compositions.keys()) keys.add(id);
    if (keys.size === 0) return;
    void this.lookUp([...keys]).then((set) => {
      if (set.size > 0) this.noticed([...set]);
    });
  }
}
