import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Broker, OptionCheck } from "@taskq/core";
import {
  describeValue,
  getBroker,
  InvalidArgument,
  lazyLogger,
  Message,
  optionChecks,
  validateOptions,
} from "@taskq/core";
import type { Claim } from "./claim.js";
import { parseClaim } from "./claim.js";
import type { SchedulerClock } from "./clock.js";
import { systemClock } from "./clock.js";
import { MemoryScheduleStore } from "./memory-store.js";
import { tickMessageId } from "./message-id.js";
import type { MissedPolicy } from "./plan.js";
import { planTicks } from "./plan.js";
import type { ScheduleFields, ScheduleStore, StoredSchedule } from "./store.js";
import type { Timeline } from "./timeline.js";
import { checkTimezone, cronTimeline, everyTimeline, parseCron } from "./timeline.js";

const log = lazyLogger("taskq.Scheduler");

/** How long a claim on ticks holds before another scheduler may take it over. */
const LEASE = 3000;
/** The longest a schedule sleeps before looking at the store again. */
const MAX_WAIT = 60_000;
/** After a store or broker failure, the pause before trying again. */
const RETRY_WAIT = 1000;
/** How often a schedule whose stored spec is another version's looks again. */
const MISMATCH_WAIT = 10_000;

/** What a schedule sends: an actor (with `args`/`kwargs` from the options), or a message. */
export type ScheduleTarget = ScheduleActor | Message;

/** The parts of an `Actor` a schedule uses; every actor has them. */
export interface ScheduleActor {
  /** The actor the schedule's messages run. */
  readonly actorName: string;
  /** The queue they go to. */
  readonly queueName: string;
  /** The broker they are sent through (unless the scheduler has its own). */
  readonly broker: Broker;
}

/** A schedule's spec as `list()` shows it: the cron pattern, or `{ every }` in ms. */
export type ScheduleSpec = string | { every: number };

/** Options of `new Scheduler()`. */
export interface SchedulerOptions {
  /** Where messages go; default: each actor's broker (the global broker for messages). */
  broker?: Broker;
  /** Where schedules keep their state; default: a new `MemoryScheduleStore` (one process). */
  store?: ScheduleStore;
  /** IANA time zone of cron schedules without their own; default `"UTC"`. */
  timezone?: string;
  /**
   * How late (ms) a tick may be picked up and still count as on time; an older one was
   * missed and goes by the schedule's `missed` policy. Default 5000.
   */
  grace?: number;
  /** Time and timers (for tests); default: the system clock. */
  clock?: SchedulerClock;
}

/** Options of `scheduler.every()` and `scheduler.cron()`. */
export interface ScheduleOptions {
  /** Arguments for the actor (not with a message target: they are in the message). */
  args?: readonly unknown[];
  /** Keyword arguments, for Python actors. */
  kwargs?: Record<string, unknown>;
  /** IANA time zone of a cron schedule; default: the scheduler's. */
  timezone?: string;
  /** Ticks missed while no scheduler ran: `"skip"` (default), `"once"` or `"all"`. */
  missed?: MissedPolicy;
  /** With `missed: "all"`, send at most this many missed ticks (the latest). Default 100. */
  maxCatchUp?: number;
  /**
   * `every`: the grid's origin (ticks are `startAt + k × interval`, k ≥ 0; default: when the
   * schedule is first stored). `cron`: no tick before it.
   */
  startAt?: Date | number;
  /** Delay each message by a random 0..jitter ms (the grid does not move). Default 0. */
  jitter?: number;
  /** `false` declares the schedule without running it. Default `true`. */
  enabled?: boolean;
}

/** One schedule as `list()` reports it (times in ms since the epoch). */
export interface ScheduleInfo {
  /** The schedule's name, unique in its scheduler. */
  name: string;
  /** When it runs: the cron pattern, or `{ every }` in ms. */
  spec: ScheduleSpec;
  /** The next tick; `null` when disabled (or no tick is left). */
  nextRun: number | null;
  /** The tick (or trigger time) of the last message sent; `null` before the first. */
  lastRun: number | null;
  /** The id of the last message sent; `null` before the first. */
  lastMessageId: string | null;
  /** Whether the schedule sends messages. */
  enabled: boolean;
}

interface Entry {
  name: string;
  spec: ScheduleSpec;
  /** What identifies the grid: a change re-anchors it. */
  fingerprint: string;
  timeline: (anchor: number) => Timeline;
  startAt: number | undefined;
  target: ScheduleTarget;
  args: readonly unknown[];
  kwargs: Record<string, unknown>;
  missed: MissedPolicy;
  maxCatchUp: number;
  jitter: number;
  enabled: boolean;
  removed: boolean;
  loop: Promise<void> | undefined;
  wake: (() => void) | undefined;
  mismatchLogged: boolean;
}

const SCHEDULE_OPTION_CHECKS: Record<string, OptionCheck> = {
  args: (v) => (Array.isArray(v) ? undefined : "an array"),
  kwargs: optionChecks.object,
  timezone: optionChecks.nonEmptyString,
  missed: optionChecks.oneOf("skip", "once", "all"),
  maxCatchUp: optionChecks.nonNegativeInteger,
  startAt: (v) =>
    (v instanceof Date && Number.isFinite(v.getTime())) ||
    (typeof v === "number" && Number.isFinite(v))
      ? undefined
      : "a Date or a number of ms since the epoch",
  jitter: optionChecks.nonNegativeNumber,
  enabled: optionChecks.boolean,
};

const hasMethods =
  (what: string, ...names: string[]): OptionCheck =>
  (v) =>
    typeof v === "object" &&
    v !== null &&
    names.every((n) => typeof (v as Record<string, unknown>)[n] === "function")
      ? undefined
      : what;

const SCHEDULER_OPTION_CHECKS: Record<string, OptionCheck> = {
  broker: hasMethods("a Broker", "enqueue"),
  store: hasMethods("a ScheduleStore", "get", "compareAndSet", "delete", "close"),
  timezone: optionChecks.nonEmptyString,
  grace: optionChecks.nonNegativeNumber,
  clock: hasMethods(
    "a clock with now, setTimeout and clearTimeout",
    "now",
    "setTimeout",
    "clearTimeout",
  ),
};

function rejectUnknown(where: string, options: object, known: Record<string, unknown>): void {
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(known, key)) {
      throw new InvalidArgument(
        `${where}: unknown option ${JSON.stringify(key)}; accepted are ${Object.keys(known).join(", ")}`,
      );
    }
  }
}

function isMessage(target: unknown): target is Message {
  return (
    typeof target === "object" &&
    target !== null &&
    typeof (target as Message).messageId === "string" &&
    typeof (target as Message).copy === "function"
  );
}

function isActor(target: unknown): target is ScheduleActor {
  return (
    (typeof target === "function" || typeof target === "object") &&
    target !== null &&
    typeof (target as ScheduleActor).actorName === "string" &&
    typeof (target as ScheduleActor).queueName === "string"
  );
}

const iso = (t: number) => new Date(t).toISOString();

/**
 * Sends actors' messages on a schedule: `every(name, actor, ms)` on a fixed grid, or
 * `cron(name, actor, pattern)` in a time zone. Schedulers sharing a store (Redis for
 * several processes) send each tick exactly once between them: a tick is claimed in the
 * store before it is sent, and a claim whose scheduler died is taken over within seconds.
 */
export class Scheduler {
  /** Where the schedules keep their state. */
  readonly store: ScheduleStore;
  /** IANA time zone of cron schedules that set none. */
  readonly timezone: string;
  private readonly broker: Broker | undefined;
  private readonly grace: number;
  private readonly clock: SchedulerClock;
  private readonly entries = new Map<string, Entry>();
  /** Who claims ticks, as other schedulers' logs name it. */
  private readonly id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private running = false;
  private starting: Promise<void> | undefined;

  constructor(options: SchedulerOptions = {}) {
    validateOptions("Scheduler", options, SCHEDULER_OPTION_CHECKS);
    rejectUnknown("Scheduler", options, SCHEDULER_OPTION_CHECKS);
    this.broker = options.broker;
    this.store = options.store ?? new MemoryScheduleStore();
    this.timezone = checkTimezone(options.timezone ?? "UTC", "Scheduler");
    this.grace = options.grace ?? 5000;
    this.clock = options.clock ?? systemClock;
  }

  /**
   * Send `target` every `interval` ms, on the grid `startAt + k × interval`. Throws an
   * InvalidArgument at once on bad input; resolves once the schedule is stored (at once
   * when the scheduler is not running yet: `start()` stores it).
   */
  every(
    name: string,
    target: ScheduleTarget,
    interval: number,
    options: ScheduleOptions = {},
  ): Promise<void> {
    if (!(typeof interval === "number" && Number.isInteger(interval) && interval > 0)) {
      throw new InvalidArgument(
        `Schedule ${describeValue(name)}: the interval must be a whole number of ms > 0, got ${describeValue(interval)}`,
      );
    }
    const entry = this.define(name, target, options);
    const startAt = entry.startAt;
    entry.spec = { every: interval };
    entry.fingerprint = JSON.stringify({ every: interval, startAt: startAt ?? null });
    entry.timeline = (anchor) => everyTimeline(anchor, interval);
    return this.add(entry);
  }

  /**
   * Send `target` at the times of a cron pattern (5 fields, or 6 with seconds first; names,
   * ranges, steps, `L`, `#`, `W` as croner reads them) in the schedule's time zone. Throws an
   * InvalidArgument at once on a bad pattern or option.
   */
  cron(
    name: string,
    target: ScheduleTarget,
    pattern: string,
    options: ScheduleOptions = {},
  ): Promise<void> {
    const entry = this.define(name, target, options);
    if (typeof pattern !== "string") {
      throw new InvalidArgument(
        `Schedule ${describeValue(name)}: the cron pattern must be a string, got ${describeValue(pattern)}`,
      );
    }
    const timezone = checkTimezone(
      options.timezone ?? this.timezone,
      `Schedule ${describeValue(name)}`,
    );
    const cron = parseCron(pattern, timezone, `Schedule ${describeValue(name)}`);
    const startAt = entry.startAt;
    entry.spec = pattern;
    entry.fingerprint = JSON.stringify({ cron: pattern, timezone, startAt: startAt ?? null });
    const timeline = cronTimeline(cron, startAt);
    entry.timeline = () => timeline;
    return this.add(entry);
  }

  private define(name: string, target: ScheduleTarget, options: ScheduleOptions): Entry {
    if (typeof name !== "string" || name.length === 0 || name.length > 200) {
      throw new InvalidArgument(
        `A schedule's name must be a string of 1 to 200 characters, got ${describeValue(name)}`,
      );
    }
    const where = `Schedule ${JSON.stringify(name)}`;
    if (this.entries.has(name)) throw new InvalidArgument(`${where} is already declared`);
    validateOptions(where, options, SCHEDULE_OPTION_CHECKS);
    rejectUnknown(where, options, SCHEDULE_OPTION_CHECKS);
    if (!isActor(target) && !isMessage(target)) {
      throw new InvalidArgument(
        `${where}: what to send must be an actor or a Message, got ${describeValue(target)}`,
      );
    }
    if (isMessage(target) && (options.args !== undefined || options.kwargs !== undefined)) {
      throw new InvalidArgument(
        `${where}: args and kwargs go with an actor; a message carries its own`,
      );
    }
    const startAt = options.startAt === undefined ? undefined : Number(options.startAt);
    return {
      name,
      spec: "",
      fingerprint: "",
      timeline: () => {
        throw new Error("unreachable");
      },
      startAt,
      target,
      args: options.args ?? [],
      kwargs: options.kwargs ?? {},
      missed: options.missed ?? "skip",
      maxCatchUp: options.maxCatchUp ?? 100,
      jitter: options.jitter ?? 0,
      enabled: options.enabled ?? true,
      removed: false,
      loop: undefined,
      wake: undefined,
      mismatchLogged: false,
    };
  }

  private async add(entry: Entry): Promise<void> {
    this.entries.set(entry.name, entry);
    if (!this.running) return;
    await this.register(entry);
    this.launch(entry);
  }

  /** The names of the declared schedules, in declaration order. */
  get names(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * Store every schedule (keeping the grid of an unchanged spec, re-anchoring a changed
   * one) and start sending. Resolves once running; rejects, running nothing, when the store
   * cannot be reached.
   */
  start(): Promise<void> {
    if (this.running) return Promise.resolve();
    this.starting ??= (async () => {
      try {
        for (const entry of this.entries.values()) await this.register(entry);
      } finally {
        this.starting = undefined;
      }
      this.running = true;
      for (const entry of this.entries.values()) this.launch(entry);
      log.info(`Scheduler ${this.id} started with ${this.entries.size} schedule(s).`);
    })();
    return this.starting;
  }

  /**
   * Stop sending. A batch of ticks being sent stops between two messages and its claim is
   * released for another scheduler. Leaves the store and the broker open.
   */
  async stop(): Promise<void> {
    if (this.starting) await this.starting.catch(() => {});
    if (!this.running) return;
    this.running = false;
    const loops: Promise<void>[] = [];
    for (const entry of this.entries.values()) {
      entry.wake?.();
      if (entry.loop) loops.push(entry.loop);
    }
    await Promise.all(loops);
    for (const entry of this.entries.values()) entry.loop = undefined;
    log.info(`Scheduler ${this.id} stopped.`);
  }

  /** Stop, then close the store (not the broker, which the application owns). */
  async close(): Promise<void> {
    await this.stop();
    await this.store.close();
  }

  /** Every declared schedule with its next and last run, in declaration order. */
  async list(): Promise<ScheduleInfo[]> {
    const now = this.clock.now();
    const out: ScheduleInfo[] = [];
    for (const entry of this.entries.values()) {
      const stored = await this.store.get(entry.name);
      let nextRun: number | null = null;
      if (entry.enabled) {
        nextRun =
          stored?.spec === entry.fingerprint
            ? stored.next === undefined
              ? null
              : Number(stored.next)
            : entry.timeline(entry.startAt ?? now).atOrAfter(now);
      }
      out.push({
        name: entry.name,
        spec: entry.spec,
        nextRun,
        lastRun: stored?.lastRun === undefined ? null : Number(stored.lastRun),
        lastMessageId: stored?.lastMessageId ?? null,
        enabled: entry.enabled,
      });
    }
    return out;
  }

  /**
   * Send a schedule's message now (`scheduled_for` is now), outside its grid: records it as
   * the last run, leaves the next run as it was. Resolves to the message sent.
   */
  async trigger(name: string): Promise<Message> {
    const entry = this.entry(name);
    const now = this.clock.now();
    const sent = await this.enqueue(entry, now, undefined);
    await this.store.compareAndSet(
      name,
      {},
      { lastRun: String(now), lastMessageId: sent.messageId },
    );
    log.info(`Schedule ${JSON.stringify(name)} triggered by hand: sent message ${sent.messageId}.`);
    return sent;
  }

  /**
   * Stop a schedule and forget its stored state. Also takes a name this scheduler does not
   * declare: to clean up after a schedule taken out of the code.
   */
  async remove(name: string): Promise<void> {
    const entry = this.entries.get(name);
    if (entry !== undefined) {
      entry.removed = true;
      this.entries.delete(name);
      entry.wake?.();
      await entry.loop;
    }
    await this.store.delete(name);
  }

  private entry(name: string): Entry {
    const entry = this.entries.get(name);
    if (entry === undefined) {
      throw new InvalidArgument(
        `No schedule named ${describeValue(name)}; declared are: ${this.names.map((n) => JSON.stringify(n)).join(", ") || "none"}`,
      );
    }
    return entry;
  }

  private cas(name: string, expect: ScheduleFields, set: ScheduleFields) {
    return this.store.compareAndSet(name, expect, set);
  }

  /** Bring the stored state in line with the declaration; loops until its write wins. */
  private async register(entry: Entry): Promise<void> {
    const enabled = entry.enabled ? "1" : "0";
    for (;;) {
      const now = this.clock.now();
      const stored = await this.store.get(entry.name);
      if (stored?.spec === entry.fingerprint) {
        if (stored.enabled === enabled) return;
        // Re-enabled: ticks that fell due while disabled were not missed, they were off.
        const set: ScheduleFields = { enabled };
        if (entry.enabled) {
          const next = entry.timeline(Number(stored.anchor)).atOrAfter(now);
          set.next = next === null ? null : String(next);
        }
        const r = await this.cas(
          entry.name,
          { spec: stored.spec, enabled: stored.enabled ?? null },
          set,
        );
        if (r.ok) return;
        continue;
      }
      const anchor = entry.startAt ?? now;
      const first = entry.timeline(anchor).atOrAfter(now);
      const r = await this.cas(
        entry.name,
        { spec: stored?.spec ?? null },
        {
          spec: entry.fingerprint,
          anchor: String(anchor),
          next: first === null ? null : String(first),
          enabled,
        },
      );
      if (!r.ok) continue;
      const when = first === null ? "no run ahead" : `next run ${iso(first)}`;
      if (stored?.spec === undefined) {
        log.info(`Schedule ${JSON.stringify(entry.name)} stored: ${when}.`);
      } else {
        log.info(
          `Schedule ${JSON.stringify(entry.name)} changed from ${stored.spec} to ${entry.fingerprint}: ${when}.`,
        );
      }
      return;
    }
  }

  private launch(entry: Entry): void {
    if (!entry.enabled || entry.loop !== undefined) return;
    entry.loop = (async () => {
      while (this.running && !entry.removed) {
        let wait: number;
        try {
          wait = await this.step(entry);
        } catch (err) {
          log.error(
            { err },
            `Schedule ${JSON.stringify(entry.name)}: ${(err as Error).message}; trying again in ${RETRY_WAIT} ms.`,
          );
          wait = RETRY_WAIT;
        }
        if (wait > 0 && this.running && !entry.removed) await this.sleep(entry, wait);
      }
    })();
  }

  private sleep(entry: Entry, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.clock.setTimeout(
        () => {
          entry.wake = undefined;
          resolve();
        },
        Math.min(ms, MAX_WAIT),
      );
      entry.wake = () => {
        entry.wake = undefined;
        this.clock.clearTimeout(handle);
        resolve();
      };
    });
  }

  /** One look at the store: send what is due (or left over), or say how long to wait. */
  private async step(entry: Entry): Promise<number> {
    const now = this.clock.now();
    const stored = await this.store.get(entry.name);
    if (stored === undefined || stored.spec === undefined) {
      log.warn(
        `Schedule ${JSON.stringify(entry.name)} has no stored state (removed by another scheduler?); storing it afresh.`,
      );
      await this.register(entry);
      return 0;
    }
    if (stored.spec !== entry.fingerprint) {
      if (!entry.mismatchLogged) {
        entry.mismatchLogged = true;
        log.warn(
          `Schedule ${JSON.stringify(entry.name)} is stored as ${stored.spec}, not ${entry.fingerprint} as declared here: a scheduler running other code changed it. Not sending it from here until that changes.`,
        );
      }
      return MISMATCH_WAIT;
    }
    entry.mismatchLogged = false;
    const next = stored.next === undefined ? undefined : Number(stored.next);
    const claim = parseClaim(stored.claim);
    if (claim !== undefined) {
      if (claim.deadline > now) {
        const until =
          next !== undefined && next > now ? Math.min(next, claim.deadline) : claim.deadline;
        return until - now + 1;
      }
      return this.takeOver(entry, stored, claim, now);
    }
    if (next === undefined) return MAX_WAIT;
    if (next > now) return next - now;
    const plan = planTicks({
      timeline: entry.timeline(Number(stored.anchor)),
      next,
      now,
      grace: this.grace,
      missed: entry.missed,
      maxCatchUp: entry.maxCatchUp,
    });
    const mine: Claim | undefined =
      plan.ticks.length > 0
        ? { owner: this.id, deadline: now + LEASE, ticks: plan.ticks }
        : undefined;
    const r = await this.cas(
      entry.name,
      { spec: entry.fingerprint, next: stored.next ?? null, claim: null },
      {
        next: plan.next === null ? null : String(plan.next),
        claim: mine === undefined ? null : JSON.stringify(mine),
      },
    );
    if (!r.ok) return 0;
    if (plan.skipped !== undefined) {
      const s = plan.skipped;
      log.warn(
        `Schedule ${JSON.stringify(entry.name)} missed ${s.capped ? "at least " : ""}${s.count} run(s) from ${iso(s.first)} to ${iso(s.last)} while no scheduler ran; not sending them (missed: ${JSON.stringify(entry.missed)}${entry.missed === "all" ? `, maxCatchUp: ${entry.maxCatchUp}` : ""}).`,
      );
    }
    if (mine !== undefined) await this.send(entry, mine);
    return 0;
  }

  private async takeOver(
    entry: Entry,
    stored: StoredSchedule,
    claim: Claim,
    now: number,
  ): Promise<number> {
    const mine: Claim = { owner: this.id, deadline: now + LEASE, ticks: claim.ticks };
    const r = await this.cas(
      entry.name,
      { claim: stored.claim ?? null },
      { claim: mine.ticks.length > 0 ? JSON.stringify(mine) : null },
    );
    if (!r.ok) return 0;
    if (mine.ticks.length === 0) return 0;
    const ticks = mine.ticks.map((t) => iso(t.at)).join(", ");
    if (claim.owner !== this.id) {
      log.warn(
        `Schedule ${JSON.stringify(entry.name)}: scheduler ${claim.owner} claimed run(s) ${ticks} and did not send them in time (it stopped or lost its connection); sending them from here.`,
      );
    } else {
      log.info(`Schedule ${JSON.stringify(entry.name)}: sending run(s) ${ticks} again.`);
    }
    await this.send(entry, mine);
    return 0;
  }

  /**
   * Send the claimed ticks in order: renew the lease when it runs short, enqueue, then record
   * the tick as sent in the same compare-and-set that drops it from the claim.
   */
  private async send(entry: Entry, claim: Claim): Promise<void> {
    let current = claim;
    let text: string | null = JSON.stringify(claim);
    const name = JSON.stringify(entry.name);
    while (current.ticks.length > 0) {
      if (!this.running || entry.removed) {
        // Hand the rest to whichever scheduler looks next, without waiting out the lease.
        await this.cas(
          entry.name,
          { claim: text },
          { claim: JSON.stringify({ ...current, deadline: 0 }) },
        );
        return;
      }
      const now = this.clock.now();
      if (current.deadline - now < LEASE / 2) {
        const renewed = { ...current, deadline: now + LEASE };
        const renewedText = JSON.stringify(renewed);
        if (!(await this.cas(entry.name, { claim: text }, { claim: renewedText })).ok) {
          log.warn(
            `Schedule ${name}: another scheduler took over its claimed run(s); leaving them to it.`,
          );
          return;
        }
        current = renewed;
        text = renewedText;
      }
      const tick = current.ticks[0]!;
      if (tick.late) {
        log.warn(
          `Schedule ${name} missed its run at ${iso(tick.at)} while no scheduler ran; sending it now (missed: ${JSON.stringify(entry.missed)}).`,
        );
      }
      const sent = await this.enqueue(
        entry,
        tick.at,
        tickMessageId(entry.name, entry.target.actorName, tick.at),
      );
      const rest: Claim = { ...current, ticks: current.ticks.slice(1) };
      const restText = rest.ticks.length > 0 ? JSON.stringify(rest) : null;
      const r = await this.cas(
        entry.name,
        { claim: text },
        { claim: restText, lastRun: String(tick.at), lastMessageId: sent.messageId },
      );
      if (!r.ok) {
        log.warn(
          `Schedule ${name}: another scheduler took over while the run at ${iso(tick.at)} was being sent; it may send it again (with the same message id ${sent.messageId}).`,
        );
        return;
      }
      if (log.isLevelEnabled?.("debug")) {
        log.debug(
          `Schedule ${name}: sent ${sent} for ${iso(tick.at)} as message ${sent.messageId}.`,
        );
      }
      current = rest;
      text = restText;
    }
  }

  private enqueue(entry: Entry, at: number, messageId: string | undefined): Promise<Message> {
    const options = { schedule_name: entry.name, scheduled_for: at };
    const target = entry.target;
    let message: Message;
    let broker: Broker;
    if (isMessage(target)) {
      broker = this.broker ?? getBroker();
      message = target.copy({
        messageId: messageId ?? randomUUID(),
        messageTimestamp: Date.now(),
        options,
      });
    } else {
      broker = this.broker ?? target.broker ?? getBroker();
      message = new Message({
        queueName: target.queueName,
        actorName: target.actorName,
        args: entry.args,
        kwargs: entry.kwargs,
        options,
        ...(messageId === undefined ? {} : { messageId }),
      });
    }
    const delay = entry.jitter > 0 ? Math.floor(Math.random() * entry.jitter) : 0;
    return broker.enqueue(message, delay > 0 ? { delay } : {});
  }
}
