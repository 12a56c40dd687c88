import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { actor } from "../actor.js";
import type { Broker } from "../broker.js";
import { getCurrentMessage } from "../context.js";
import type { LogFields, Logger, LogLevel } from "../logger.js";
import { ConsoleLogger, getLogger, setLogger } from "../logger.js";
import { Worker } from "../worker/worker.js";
import type { MakeBroker } from "./broker-conformance.js";
import { sleep, waitUntil } from "./wait.js";

/** Options of `badInputConformance`. */
export interface BadInputConformanceOptions {
  /** A fresh broker whose queues start empty. */
  makeBroker: MakeBroker;
  /**
   * Put raw bytes on a queue, as a foreign producer would: no encoding, no checks, no
   * declaration of anything the bytes name.
   */
  putRaw: (broker: Broker, queueName: string, bytes: Uint8Array) => void | Promise<void>;
  /** Release a broker after a test. Default: flushAll, then close. */
  destroy?: (broker: Broker) => Promise<void>;
  /** Per-test timeout, ms. Default 60 000 (one case moves 10 MB through the broker). */
  timeout?: number;
}

const QUEUE = "bad-input";
/** Longest message text any log call may be given: args and kwargs are shown in about 1 KB. */
const MAX_LOG_MESSAGE = 4096;
/** Longest line the default ConsoleLogger may write, error text included. */
const MAX_CONSOLE_LINE = 40_000;

/**
 * One bad message: its bytes, and what must become of it. `dead`: it ends in the dead letters
 * (exactly once). `maybe`: dead-lettered or run, whichever the broker's transport allows (a
 * transport that decodes text itself may already have replaced invalid UTF-8). `runs`: the
 * id of a message the worker must run (it may also be dead-lettered afterwards, when `dead`).
 */
interface BadMessage {
  label: string;
  bytes: Uint8Array;
  dead: boolean | "maybe";
  id?: string;
  runs?: boolean;
}

/** A wire message with Dramatiq's fields, some replaced (undefined: left out). */
function wire(fields: Record<string, unknown>): { id: string; text: string } {
  const id = typeof fields.message_id === "string" ? fields.message_id : randomUUID();
  const text = JSON.stringify({
    queue_name: QUEUE,
    actor_name: "ok",
    args: [],
    kwargs: {},
    options: {},
    message_id: id,
    message_timestamp: Date.now(),
    ...fields,
  });
  return { id, text };
}

function bytes(text: string): Uint8Array {
  return Buffer.from(text, "utf8");
}

function dead(label: string, fields: Record<string, unknown>): BadMessage {
  return { label, bytes: bytes(wire(fields).text), dead: true };
}

/**
 * The cases, grouped: each group is one test, and all of them together are another. Built
 * when a test runs (one holds 10 MB), with fresh ids and timestamps.
 */
const CASES: Record<string, () => BadMessage[]> = {
  "garbage bytes": () => [
    { label: "garbage", bytes: bytes("\u0000garbage{{{ not json"), dead: true },
    { label: "empty", bytes: new Uint8Array(0), dead: true },
    { label: "truncated", bytes: bytes(wire({}).text.slice(0, 40)), dead: true },
  ],
  "invalid UTF-8": () => {
    const utf8 = wire({ args: ["INVALID"] });
    const [before, after] = utf8.text.split("INVALID") as [string, string];
    const invalid = Buffer.from([0xc3, 0x28, 0xff, 0xfe]);
    return [
      {
        label: "invalid UTF-8 in an argument",
        bytes: Buffer.concat([bytes(before), invalid, bytes(after)]),
        dead: "maybe",
        id: utf8.id,
      },
    ];
  },
  "JSON that is not an object": () =>
    ["[1,2,3]", '"a string"', "42", "null", "true"].map((text) => ({
      label: text,
      bytes: bytes(text),
      dead: true,
    })),
  "5,000 levels of nesting in the args of a failing actor": () => {
    const nested = `${"[".repeat(5000)}${"]".repeat(5000)}`;
    const text = wire({ actor_name: "fails", args: ["DEEP"] }).text.replace('"DEEP"', nested);
    return [{ label: "deep", bytes: bytes(text), dead: true }];
  },
  "10 MB of args for a failing actor": () => [
    {
      label: "huge",
      bytes: bytes(wire({ actor_name: "fails", args: ["x".repeat(10 * 1024 * 1024)] }).text),
      dead: true,
    },
  ],
  "unknown and prototype-named actors": () =>
    ["ghost", "__proto__", "constructor", "toString", "hasOwnProperty", ""].map((name) =>
      dead(`actor ${JSON.stringify(name)}`, { actor_name: name }),
    ),
  "wrong-typed wire fields": () => {
    const hostileOk = wire({ options: { pipe_target: 5, on_success: 7 } });
    return [
      dead("args a string", { args: "x" }),
      dead("args an object", { args: { 0: 1 } }),
      dead("kwargs a string", { kwargs: "x" }),
      dead("kwargs an array", { kwargs: [1] }),
      dead("options a string", { options: "x" }),
      dead("options an array", { options: [1] }),
      dead("message_id a number", { message_id: 5 }),
      dead("message_timestamp a string", { message_timestamp: "now" }),
      dead("queue_name a number", { queue_name: 3 }),
      dead("actor_name null", { actor_name: null }),
      dead("actor_name missing", { actor_name: undefined }),
      {
        label: "options of the wrong types, failing actor",
        bytes: bytes(
          wire({
            actor_name: "fails",
            options: { max_retries: "lots", time_limit: "x", on_failure: { x: 1 } },
          }).text,
        ),
        dead: true,
      },
      {
        label: "pipe_target and on_success that name nothing, succeeding actor",
        bytes: bytes(hostileOk.text),
        dead: true,
        id: hostileOk.id,
        runs: true,
      },
    ];
  },
  "a queue_name the worker does not declare, failing actor": () => [
    dead("queue nowhere", { actor_name: "fails", queue_name: "nowhere" }),
  ],
};

/**
 * What every broker must survive: messages as a foreign or hostile producer may put them on a
 * queue. After each case the worker is the same process and never threw an unhandled error;
 * every bad message was dead-lettered or run (counted: none vanished); no log call was given
 * more than about 4 KB, whatever the message held; and good messages sent afterwards complete.
 *
 *   badInputConformance("RedisBroker", { makeBroker, putRaw: (b, q, bytes) => ... });
 */
export function badInputConformance(name: string, options: BadInputConformanceOptions): void {
  const timeout = options.timeout ?? 60_000;
  const destroy =
    options.destroy ??
    (async (b: Broker) => {
      await b.flushAll();
      await b.close();
    });

  describe(`${name}: bad input`, () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown) => void unhandled.push(err);
    const oversized: string[] = [];
    let previousLogger: Logger;
    const cleanups: (() => Promise<void>)[] = [];
    const pid = process.pid;

    beforeAll(() => {
      process.on("unhandledRejection", onUnhandled);
      process.on("uncaughtException", onUnhandled);
      previousLogger = getLogger();
      setLogger(boundedLogger(oversized));
    });

    afterAll(() => {
      process.off("unhandledRejection", onUnhandled);
      process.off("uncaughtException", onUnhandled);
      setLogger(previousLogger);
    });

    afterEach(async () => {
      while (cleanups.length > 0) await cleanups.pop()!();
    });

    async function run(messages: BadMessage[]): Promise<void> {
      const broker = await options.makeBroker();
      cleanups.push(() => destroy(broker));
      const ran = new Set<string>();
      const good: number[] = [];
      actor(
        () => {
          ran.add(getCurrentMessage()?.messageId ?? "");
          throw new Error("always fails");
        },
        { broker, actorName: "fails", queueName: QUEUE, maxRetries: 1, minBackoff: 10 },
      );
      actor(
        (n?: unknown) => {
          ran.add(getCurrentMessage()?.messageId ?? "");
          if (typeof n === "number") good.push(n);
        },
        { broker, actorName: "ok", queueName: QUEUE },
      );
      const worker = new Worker(broker, { workerTimeout: 100 });
      cleanups.push(() => worker.stop({ timeout: 10_000 }));
      await worker.start();

      for (const m of messages) await options.putRaw(broker, QUEUE, m.bytes);

      const mustDie = messages.filter((m) => m.dead === true).length;
      const maybe = messages.filter((m) => m.dead === "maybe");
      const mustRun = messages.filter((m) => m.runs === true);
      const deadCount = async () => (await broker.getQueueMessageCounts(QUEUE)).dead;
      const expected = () => mustDie + maybe.filter((m) => !ran.has(m.id!)).length;
      await waitUntil(
        async () => (await deadCount()) === expected() && mustRun.every((m) => ran.has(m.id!)),
        {
          timeout: timeout - 10_000,
          what: `every bad message is dead-lettered or run (${mustDie} must die, ${maybe.length} may die or run)`,
        },
      );

      // Good messages sent afterwards all complete, on the same worker.
      const sendOk = broker.getActor("ok");
      for (let i = 0; i < 5; i++) await sendOk.send(i);
      await waitUntil(() => good.length === 5, { timeout: 10_000, what: "the good messages ran" });
      expect(good.sort()).toEqual([0, 1, 2, 3, 4]);

      // Nothing dead-lettered twice, nothing left behind.
      await sleep(300);
      expect(await deadCount()).toBe(expected());
      const counts = await broker.getQueueMessageCounts(QUEUE);
      expect({ ready: counts.ready, delayed: counts.delayed }).toEqual({ ready: 0, delayed: 0 });

      expect(process.pid).toBe(pid);
      expect(unhandled, "no unhandled rejection or uncaught exception").toEqual([]);
      expect(oversized, "no log line carries a message's contents unbounded").toEqual([]);
    }

    for (const [title, make] of Object.entries(CASES)) {
      test(`${title}: dead-lettered or run, and the worker goes on`, { timeout }, () =>
        run(make()),
      );
    }

    test("all of the above at once, then good messages", { timeout }, () =>
      run(Object.values(CASES).flatMap((make) => make())),
    );
  });
}

/**
 * A logger that notes every call given an over-long message and also writes each record
 * through a ConsoleLogger (at debug, into a counter), so its formatting runs on every line.
 */
function boundedLogger(oversized: string[]): Logger {
  const console = new ConsoleLogger({
    level: "debug",
    write: (line) => {
      if (line.length > MAX_CONSOLE_LINE) oversized.push(`console line of ${line.length} chars`);
    },
  });
  const make = (name: string): Logger => {
    const at =
      (level: LogLevel) =>
      (a: LogFields | string, b?: string): void => {
        const msg = typeof a === "string" ? a : (b ?? "");
        if (msg.length > MAX_LOG_MESSAGE) {
          oversized.push(`${name} ${level}: ${msg.length} chars: ${msg.slice(0, 200)}`);
        }
        if (typeof a === "string") console[level](a);
        else console[level](a, msg);
      };
    return {
      debug: at("debug"),
      info: at("info"),
      warn: at("warn"),
      error: at("error"),
      child: ({ name: child }) => make(child),
      isLevelEnabled: () => true,
    };
  };
  return make("taskq");
}
