/**
 * A pool of worker threads (or child processes) that run isolated actors, one message per
 * member at a time. Built on node:worker_threads and node:child_process directly: core has no
 * runtime dependencies, and the pools on npm (piscina, tinypool) cancel a task by aborting a
 * signal the task must watch — the point here is to stop code that watches nothing, which
 * takes terminating that one member and starting another.
 */
import { existsSync } from "node:fs";
import { IsolationError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { Isolation } from "../options.js";
import type { Member } from "./channel.js";
import { startMember } from "./channel.js";
import { fromWireError, toWireError } from "./crossed-error.js";
import type { FromPool, PoolInit } from "./protocol.js";

/** A call running (or queued) in the pool. */
export interface IsolatedCall {
  /** Settles with the actor's result or error, or once the call is terminated. */
  readonly promise: Promise<unknown>;
  /**
   * Stop the call: its AbortSignal aborts with `reason` at once, and unless it ends within a
   * short grace its member is killed (and replaced) and the promise rejects with `reason`.
   */
  terminate(reason: unknown): void;
}

interface Call {
  id: number;
  actorName: string;
  message: string;
  onProgress: (value: unknown) => Promise<void>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  slot: Slot | undefined;
  done: boolean;
  /** Its signal was aborted; the member is killed when this timer fires. */
  grace: NodeJS.Timeout | undefined;
}

interface Slot {
  member: Member;
  ready: boolean;
  call: Call | undefined;
}

export interface PoolOptions {
  kind: Isolation;
  size: number;
  modules: string[];
  /** Imported in each member before the actor modules (a TypeScript loader, say). */
  preload: string[];
  log: Logger;
}

const RESTART_DELAY = 1000;
/**
 * How long an aborted call has to end on its own (a cooperative actor cleaning up) before its
 * member is killed: short, so a runaway call still ends well within 2 s of its time limit or
 * cancel, and its worker slot is not held long.
 */
export const ABORT_GRACE = 500;

/** The entry script, beside the bundle (dist/isolation/entry.js). */
function entryUrl(): URL {
  for (const candidate of ["./isolation/entry.js", "./entry.js", "../isolation/entry.js"]) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(url)) return url;
  }
  throw new IsolationError(
    `The isolation entry script is missing beside ${import.meta.url}; isolation needs @taskq/core's build (dist/isolation/entry.js)`,
  );
}

export class IsolationPool {
  readonly kind: Isolation;
  readonly size: number;
  private readonly init: PoolInit;
  private readonly log: Logger;
  private readonly entry: URL;
  private readonly slots = new Set<Slot>();
  private readonly queue: Call[] = [];
  private nextId = 1;
  private closed = false;
  private timers = new Set<NodeJS.Timeout>();

  constructor(options: PoolOptions) {
    this.kind = options.kind;
    this.size = options.size;
    this.init = { preload: options.preload, modules: options.modules };
    this.log = options.log;
    this.entry = entryUrl();
  }

  /**
   * Start every member and wait until each has imported the modules. Resolves to the names
   * of the actors they found; rejects with an IsolationError naming the module that failed.
   */
  async start(): Promise<Set<string>> {
    const boots = Array.from({ length: this.size }, () => this.spawn());
    const results = await Promise.allSettled(boots);
    const failed = results.find((r) => r.status === "rejected");
    if (failed !== undefined) {
      await this.close();
      throw (failed as PromiseRejectedResult).reason;
    }
    return (results[0] as PromiseFulfilledResult<Set<string>>).value;
  }

  /** Run `actorName` on an encoded message in the next free member. */
  run(
    actorName: string,
    message: string,
    onProgress: (value: unknown) => Promise<void>,
  ): IsolatedCall {
    let resolve!: (value: unknown) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const call: Call = {
      id: this.nextId++,
      actorName,
      message,
      onProgress,
      resolve,
      reject,
      slot: undefined,
      done: false,
      grace: undefined,
    };
    if (this.closed) this.settle(call, new IsolationError("The isolation pool is closed"), true);
    else {
      this.queue.push(call);
      this.pump();
    }
    return { promise, terminate: (reason) => this.terminate(call, reason) };
  }

  /** Kill every member; calls still running reject. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const call of this.queue.splice(0))
      this.settle(call, new IsolationError("The isolation pool closed"), true);
    const slots = [...this.slots];
    this.slots.clear();
    await Promise.all(
      slots.map(async (slot) => {
        await slot.member.kill();
        if (slot.call)
          this.settle(slot.call, new IsolationError("The isolation pool closed"), true);
      }),
    );
  }

  private spawn(): Promise<Set<string>> {
    return new Promise((resolve, reject) => {
      const slot: Slot = { member: undefined as unknown as Member, ready: false, call: undefined };
      slot.member = startMember(this.kind, this.entry, this.init, {
        message: (m) => {
          if (!slot.ready) this.booted(slot, m, resolve, reject);
          else this.received(slot, m);
        },
        exit: (reason) => {
          if (!slot.ready) {
            this.slots.delete(slot);
            reject(new IsolationError(`An isolation ${this.kind} failed at boot: ${reason}`));
            return;
          }
          this.lost(slot, reason);
        },
      });
      this.slots.add(slot);
    });
  }

  private booted(
    slot: Slot,
    m: FromPool,
    resolve: (actors: Set<string>) => void,
    reject: (err: unknown) => void,
  ): void {
    if (m.type === "ready") {
      slot.ready = true;
      // Held while booting (a script awaiting worker.start() must not exit meanwhile); an
      // idle member never keeps the process alive.
      slot.member.hold(false);
      resolve(new Set(m.actors));
      this.pump();
    } else if (m.type === "bootFailed") {
      const cause = fromWireError(m.error);
      this.slots.delete(slot);
      void slot.member.kill();
      reject(
        new IsolationError(
          `An isolation ${this.kind} could not import ${this.init.preload.includes(m.module) ? "preload module" : "actor module"} ${m.module}: ${cause.name}: ${cause.message}`,
          { cause },
        ),
      );
    }
  }

  private received(slot: Slot, m: FromPool): void {
    const call = slot.call;
    if (call === undefined || !("id" in m) || m.id !== call.id) return;
    if (m.type === "progress") {
      this.progress(slot, call, m.seq, m.value);
      return;
    }
    if (call.grace !== undefined) {
      // Aborted, and it ended within its grace: the member is sound and stays.
      clearTimeout(call.grace);
      this.timers.delete(call.grace);
    }
    slot.call = undefined;
    slot.member.hold(false);
    if (m.type === "done") this.settle(call, JSON.parse(m.result), false);
    else if (m.type === "failed") this.settle(call, fromWireError(m.error), true);
    this.pump();
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let free: Slot | undefined;
      for (const s of this.slots) {
        if (s.ready && s.call === undefined) {
          free = s;
          break;
        }
      }
      if (free === undefined) return;
      const call = this.queue.shift() as Call;
      call.slot = free;
      free.call = call;
      free.member.hold(true);
      free.member.send({
        type: "run",
        id: call.id,
        actorName: call.actorName,
        message: call.message,
      });
    }
  }

  /** Record a progress report, then tell the thread so its setProgress settles. */
  private progress(slot: Slot, call: Call, seq: number, value: string): void {
    const reply = (error?: unknown): void => {
      if (slot.call !== call || !this.slots.has(slot)) return;
      slot.member.send(
        error === undefined
          ? { type: "progressed", id: call.id, seq }
          : { type: "progressed", id: call.id, seq, error: toWireError(error) },
      );
    };
    let recorded: Promise<void>;
    try {
      recorded = call.onProgress(JSON.parse(value));
    } catch (err) {
      recorded = Promise.reject(err);
    }
    recorded.then(
      () => reply(),
      (err: unknown) => reply(err),
    );
  }

  private terminate(call: Call, reason: unknown): void {
    if (call.done || call.grace !== undefined) return;
    const slot = call.slot;
    if (slot === undefined) {
      const i = this.queue.indexOf(call);
      if (i >= 0) this.queue.splice(i, 1);
      this.settle(call, reason, true);
      return;
    }
    slot.member.send({ type: "abort", id: call.id, reason: toWireError(reason) });
    const grace = setTimeout(() => {
      this.timers.delete(grace);
      if (slot.call === call && this.slots.has(slot)) this.kill(slot, call, reason);
    }, ABORT_GRACE);
    grace.unref();
    this.timers.add(grace);
    call.grace = grace;
  }

  /** The backstop: kill a member whose call did not end within its grace, and replace it. */
  private kill(slot: Slot, call: Call, reason: unknown): void {
    // The slot stays taken until the member is really gone: a terminated call frees its
    // worker slot only when nothing of it runs any more.
    this.slots.delete(slot);
    slot.member.kill().then(
      () => this.settle(call, reason, true),
      () => this.settle(call, reason, true),
    );
    this.replace();
  }

  /** A member died on its own while running (or idle). */
  private lost(slot: Slot, reason: string): void {
    this.slots.delete(slot);
    if (slot.call !== undefined) {
      this.settle(slot.call, new IsolationError(`${slot.call.actorName}: ${reason}`), true);
    } else if (!this.closed) {
      this.log.warn(`An idle isolation ${this.kind} ended: ${reason}; starting another.`);
    }
    this.replace();
  }

  private replace(): void {
    if (this.closed) return;
    this.spawn().catch((err: unknown) => {
      this.log.error(
        { err },
        `Could not start a new isolation ${this.kind}; trying again in ${RESTART_DELAY} ms.`,
      );
      if (this.closed) return;
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.replace();
      }, RESTART_DELAY);
      t.unref();
      this.timers.add(t);
    });
  }

  private settle(call: Call, value: unknown, failed: boolean): void {
    if (call.done) return;
    call.done = true;
    if (failed) call.reject(value);
    else call.resolve(value);
  }
}
