import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, test } from "vitest";
import { InvalidArgument, StateTimeout } from "../errors.js";
import type { StateBackend } from "../state/state-backend.js";
import type { MessageStatus, StateRecord, StateUpdate } from "../state/types.js";
import { trackInstances } from "./instances.js";
import { sleep } from "./wait.js";

/** Makes a fresh state backend for one test of a conformance suite. */
export type MakeStateBackend = () => StateBackend | Promise<StateBackend>;

/** Options of `stateBackendConformance(makeBackend, options)`. */
export interface StateBackendConformanceOptions {
  /** Suite title. */
  name?: string;
  /** Per-test timeout, ms. Default 30 000. */
  timeout?: number;
  /** Release a backend after a test (close its connections). */
  destroy?: (backend: StateBackend) => Promise<void>;
  /**
   * Another handle on the same store, as another process would have one (a second client).
   * Default: the same instance.
   */
  peer?: (backend: StateBackend) => StateBackend | Promise<StateBackend>;
  /** Smallest TTL the backend honours, ms. Default 300. */
  minTtl?: number;
}

const HOUR = 3_600_000;

function record(overrides: Partial<StateRecord> = {}): StateRecord {
  return {
    messageId: randomUUID(),
    status: "pending",
    actorName: `actor-${randomUUID()}`,
    queueName: "default",
    args: [1, "two", { three: [3] }],
    kwargs: {},
    options: { max_retries: 3 },
    priority: 0,
    retries: 0,
    enqueuedAt: Date.now(),
    ...overrides,
  };
}

function pending(state: StateRecord, ttl = HOUR): StateUpdate {
  return {
    messageId: state.messageId,
    status: "pending",
    retries: state.retries,
    changes: {},
    initial: state,
    ttl,
  };
}

function moved(
  state: StateRecord,
  status: MessageStatus,
  changes: StateUpdate["changes"] = {},
  retries = state.retries,
): StateUpdate {
  return { messageId: state.messageId, status, retries, changes, ttl: HOUR };
}

/**
 * What every state backend must do: store and read states by id from any handle, never move a
 * state backwards, create a state from a transition when none exists, keep progress, list
 * and count by filters newest first with stable paging, wait without polling, expire.
 */
export function stateBackendConformance(
  makeBackend: MakeStateBackend,
  options: StateBackendConformanceOptions = {},
): void {
  const timeout = options.timeout ?? 30_000;
  const minTtl = options.minTtl ?? 300;

  describe(options.name ?? "state backend conformance", () => {
    const setup = trackInstances(makeBackend, options.destroy);
    const peers: StateBackend[] = [];
    afterEach(async () => {
      while (peers.length > 0) {
        const peer = peers.pop()!;
        if (options.destroy) await options.destroy(peer);
      }
    });
    const peerOf = async (b: StateBackend): Promise<StateBackend> => {
      if (options.peer === undefined) return b;
      const peer = await options.peer(b);
      peers.push(peer);
      return peer;
    };

    test("an unknown id has no state; getMany keeps the order of the ids", {
      timeout,
    }, async () => {
      const b = await setup();
      const s = record();
      expect(await b.get(randomUUID())).toBeUndefined();
      await b.write([pending(s)]);
      const many = await b.getMany([randomUUID(), s.messageId, randomUUID()]);
      expect(many).toEqual([undefined, s, undefined]);
    });

    test("a state written through one handle is read whole through another", {
      timeout,
    }, async () => {
      const b = await setup();
      const peer = await peerOf(b);
      const s = record({
        compositionId: randomUUID(),
        eta: Date.now() + 60_000,
        kwargs: { flag: true },
        priority: 5,
        options: { composition_id: "x", nested: { list: [null, 1.5] } },
      });
      await b.write([pending(s)]);
      expect(await peer.get(s.messageId)).toEqual(s);
    });

    test("transitions move forward; changes set and remove fields", { timeout }, async () => {
      const b = await setup();
      const s = record({ eta: Date.now() });
      await b.write([pending(s)]);
      await b.write([moved(s, "started", { startedAt: 123, eta: null })]);
      const started = await b.get(s.messageId);
      expect(started).toMatchObject({ status: "started", startedAt: 123 });
      expect(started).not.toHaveProperty("eta");
      await b.write([
        moved(s, "failure", { endedAt: 456, error: { type: "ValueError", message: "bad" } }),
      ]);
      expect(await b.get(s.messageId)).toMatchObject({
        status: "failure",
        startedAt: 123,
        endedAt: 456,
        error: { type: "ValueError", message: "bad" },
        enqueuedAt: s.enqueuedAt,
      });
    });

    test("a state never moves backwards: a late pending after started is ignored", {
      timeout,
    }, async () => {
      const b = await setup();
      const s = record();
      // The worker's started lands first (with the whole state), the producer's pending after.
      await b.write([
        {
          ...moved(s, "started", { startedAt: 10 }),
          initial: { ...s, status: "started", startedAt: 10 },
        },
      ]);
      await b.write([{ ...pending(s), changes: { eta: 99 } }]);
      const state = await b.get(s.messageId);
      expect(state?.status).toBe("started");
      expect(state).not.toHaveProperty("eta");
      await b.write([moved(s, "success", { endedAt: 20 })]);
      // An end is final: neither a late start nor a second end changes it.
      await b.write([moved(s, "started", { startedAt: 30 })]);
      await b.write([moved(s, "failure", { endedAt: 40 })]);
      expect(await b.get(s.messageId)).toMatchObject({
        status: "success",
        startedAt: 10,
        endedAt: 20,
      });
    });

    test("the same stage again applies (a redelivered message starts again)", {
      timeout,
    }, async () => {
      const b = await setup();
      const s = record();
      await b.write([pending(s)]);
      await b.write([moved(s, "started", { startedAt: 1 })]);
      await b.write([moved(s, "started", { startedAt: 2 })]);
      expect((await b.get(s.messageId))?.startedAt).toBe(2);
    });

    test("a retry's pending (more retries) follows the failed attempt; enqueuedAt stays", {
      timeout,
    }, async () => {
      const b = await setup();
      const s = record();
      await b.write([pending(s)]);
      await b.write([moved(s, "started", { startedAt: 1 })]);
      const eta = Date.now() + 30_000;
      await b.write([
        {
          ...moved(s, "pending", { eta, error: { type: "Error", message: "boom" } }, 1),
          initial: { ...s, enqueuedAt: 1 },
        },
      ]);
      expect(await b.get(s.messageId)).toMatchObject({
        status: "pending",
        retries: 1,
        eta,
        enqueuedAt: s.enqueuedAt,
        error: { type: "Error", message: "boom" },
      });
      // The old attempt's late end does not overwrite the new attempt.
      await b.write([moved(s, "failure", { endedAt: 5 }, 0)]);
      expect((await b.get(s.messageId))?.status).toBe("pending");
    });

    test("with no state yet, a transition creates one from its initial state", {
      timeout,
    }, async () => {
      const b = await setup();
      const s = record({ status: "started", startedAt: 7 });
      let built = 0;
      await b.write([
        {
          ...moved(s, "started", { startedAt: 7 }),
          initial: () => {
            built++;
            return s;
          },
        },
      ]);
      expect(await b.get(s.messageId)).toEqual(s);
      expect(built).toBe(1);
      // Without an initial state nothing is created.
      const ghost = record();
      await b.write([moved(ghost, "started")]);
      expect(await b.get(ghost.messageId)).toBeUndefined();
    });

    test("several transitions in one write apply in order", { timeout }, async () => {
      const b = await setup();
      const s = record();
      await b.write([
        pending(s),
        moved(s, "started", { startedAt: 1 }),
        moved(s, "success", { endedAt: 2 }),
      ]);
      expect(await b.get(s.messageId)).toMatchObject({
        status: "success",
        startedAt: 1,
        endedAt: 2,
      });
    });

    test("progress is kept while the message runs, ignored once it has ended", {
      timeout,
    }, async () => {
      const b = await setup();
      const peer = await peerOf(b);
      const s = record();
      await b.write([pending(s), moved(s, "started")]);
      await b.write([
        { messageId: s.messageId, retries: 0, changes: { progress: 0.5 }, ttl: HOUR },
      ]);
      expect((await peer.get(s.messageId))?.progress).toBe(0.5);
      await b.write([
        {
          messageId: s.messageId,
          retries: 0,
          changes: { progress: { done: 3, of: 4 } },
          ttl: HOUR,
        },
      ]);
      expect(await peer.get(s.messageId)).toMatchObject({
        status: "started",
        progress: { done: 3, of: 4 },
      });
      await b.write([moved(s, "success")]);
      await b.write([
        { messageId: s.messageId, retries: 0, changes: { progress: 0.1 }, ttl: HOUR },
      ]);
      expect((await b.get(s.messageId))?.progress).toEqual({ done: 3, of: 4 });
      // A progress report for an unknown message creates nothing.
      const ghost = randomUUID();
      await b.write([{ messageId: ghost, retries: 0, changes: { progress: 1 }, ttl: HOUR }]);
      expect(await b.get(ghost)).toBeUndefined();
    });

    test("list: newest enqueuedAt first, filters ANDed, offset and limit", {
      timeout,
    }, async () => {
      const b = await setup();
      const actorName = `list-${randomUUID()}`;
      const compositionId = randomUUID();
      const base = Date.now();
      const states = Array.from({ length: 6 }, (_, i) =>
        record({
          actorName,
          enqueuedAt: base - i * 1000,
          queueName: i % 2 === 0 ? "even" : "odd",
          ...(i < 3 ? { compositionId } : {}),
        }),
      );
      await b.write(states.map((s) => pending(s)));
      await b.write([moved(states[1]!, "started"), moved(states[4]!, "started")]);
      const ids = (list: StateRecord[]) => list.map((s) => s.messageId);
      const all = states.map((s) => s.messageId);
      expect(ids(await b.list({ actorName }))).toEqual(all);
      expect(ids(await b.list({ actorName, offset: 2, limit: 3 }))).toEqual(all.slice(2, 5));
      expect(ids(await b.list({ actorName, status: "started" }))).toEqual([all[1], all[4]]);
      expect(ids(await b.list({ actorName, status: "pending", queueName: "even" }))).toEqual([
        all[0],
        all[2],
      ]);
      expect(ids(await b.list({ compositionId }))).toEqual(all.slice(0, 3));
      expect(ids(await b.list({ compositionId, queueName: "odd" }))).toEqual([all[1]]);
      expect(ids(await b.list({ actorName, enqueuedBefore: base - 2500 }))).toEqual(all.slice(3));
      expect(await b.count({ actorName })).toBe(6);
      expect(await b.count({ actorName, status: "pending" })).toBe(4);
      expect(await b.count({ compositionId, status: "started" })).toBe(1);
      expect(await b.count({ actorName, enqueuedBefore: base - 2500 })).toBe(3);
      expect(await b.count({ actorName: `nobody-${randomUUID()}` })).toBe(0);
      expect(await b.list({ actorName: `nobody-${randomUUID()}` })).toEqual([]);
    });

    test("paging is stable: new messages and status changes do not shift an enqueuedBefore listing", {
      timeout,
    }, async () => {
      const b = await setup();
      const actorName = `paging-${randomUUID()}`;
      const base = Date.now() - 10_000;
      const states = Array.from({ length: 10 }, (_, i) =>
        record({ actorName, enqueuedAt: base - i }),
      );
      await b.write(states.map((s) => pending(s)));
      const snapshot = Date.now();
      const first = await b.list({ actorName, limit: 4, enqueuedBefore: snapshot });
      // Meanwhile: newer messages arrive and some states move on.
      await b.write([pending(record({ actorName })), pending(record({ actorName }))]);
      await b.write([moved(states[0]!, "started"), moved(states[5]!, "success")]);
      const second = await b.list({ actorName, limit: 4, offset: 4, enqueuedBefore: snapshot });
      const third = await b.list({ actorName, limit: 4, offset: 8, enqueuedBefore: snapshot });
      expect([...first, ...second, ...third].map((s) => s.messageId)).toEqual(
        states.map((s) => s.messageId),
      );
    });

    test("waitFor resolves at once when the status is already there", { timeout }, async () => {
      const b = await setup();
      const s = record();
      await b.write([pending(s), moved(s, "started")]);
      expect((await b.waitFor(s.messageId, ["started", "success"], { timeout: 1000 })).status).toBe(
        "started",
      );
    });

    test("waitFor wakes when another handle writes the awaited status", { timeout }, async () => {
      const b = await setup();
      const peer = await peerOf(b);
      const s = record();
      await b.write([pending(s)]);
      const started = Date.now();
      const waiting = b.waitFor(s.messageId, "success", { timeout: 10_000 });
      await sleep(150);
      await peer.write([moved(s, "started")]);
      await sleep(150);
      await peer.write([moved(s, "success", { endedAt: 1 })]);
      const state = await waiting;
      expect(state.status).toBe("success");
      expect(Date.now() - started).toBeLessThan(5000);
    });

    test("waitFor on a message not known yet wakes when it appears", { timeout }, async () => {
      const b = await setup();
      const s = record();
      const waiting = b.waitFor(s.messageId, "pending", { timeout: 10_000 });
      await sleep(100);
      await b.write([pending(s)]);
      expect((await waiting).messageId).toBe(s.messageId);
    });

    test("waitFor rejects with StateTimeout after its timeout", { timeout }, async () => {
      const b = await setup();
      const s = record();
      await b.write([pending(s)]);
      const started = Date.now();
      const error = await b
        .waitFor(s.messageId, "success", { timeout: 300 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StateTimeout);
      expect((error as Error).message).toContain(s.messageId);
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(250);
      expect(waited).toBeLessThan(3000);
    });

    test("states expire ttl ms after their last write", { timeout }, async () => {
      const b = await setup();
      const actorName = `ttl-${randomUUID()}`;
      const s = record({ actorName });
      await b.write([pending(s, minTtl)]);
      expect(await b.get(s.messageId)).toBeDefined();
      await sleep(minTtl / 2);
      // A write restarts the clock.
      await b.write([{ ...moved(s, "started"), ttl: minTtl }]);
      await sleep(minTtl / 2 + 50);
      expect(await b.get(s.messageId)).toBeDefined();
      await sleep(minTtl + 300);
      expect(await b.get(s.messageId)).toBeUndefined();
      expect(await b.list({ actorName })).toEqual([]);
      expect(await b.count({ actorName })).toBe(0);
    });

    test("bad filters and statuses are InvalidArgument naming the problem", {
      timeout,
    }, async () => {
      const b = await setup();
      await expect(b.list({ status: "done" as MessageStatus })).rejects.toThrow(InvalidArgument);
      await expect(b.list({ status: "done" as MessageStatus })).rejects.toThrow(/status/);
      await expect(b.list({ limit: 0 })).rejects.toThrow(/limit/);
      await expect(b.count({ actorName: 5 as unknown as string })).rejects.toThrow(/actorName/);
      await expect(b.waitFor(randomUUID(), "finished" as MessageStatus)).rejects.toThrow(
        InvalidArgument,
      );
    });
  });
}
