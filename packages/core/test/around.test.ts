import { AsyncLocalStorage } from "node:async_hooks";
import { beforeEach, describe, expect, test } from "vitest";
import type { AfterProcessOutcome, Broker, MessageProxy } from "../src/index.js";
import {
  actor,
  getCurrentMessage,
  LocalBroker,
  Middleware,
  StubBroker,
  TimeLimitExceeded,
  Worker,
} from "../src/index.js";
import { captureLogs, sleep } from "./helpers.js";

let logs: ReturnType<typeof captureLogs>;
beforeEach(() => {
  logs = captureLogs();
});

async function runAll(
  broker: StubBroker,
  send: () => Promise<unknown>,
  concurrency = 1,
): Promise<void> {
  const worker = new Worker(broker, { workerTimeout: 50, concurrency });
  await worker.start();
  try {
    await send();
    await broker.join("default", { failFast: false, timeout: 10_000 });
  } finally {
    await worker.stop({ timeout: 5000 });
  }
}

/** A wrap that runs the call inside its own async context, as a tracing middleware would. */
class Scoped extends Middleware {
  readonly store = new AsyncLocalStorage<string>();
  constructor(
    readonly name: string,
    readonly calls: string[] = [],
  ) {
    super();
  }
  override aroundProcessMessage(_b: Broker, m: MessageProxy, call: () => Promise<unknown>) {
    this.calls.push(`enter ${this.name}`);
    return this.store.run(`${this.name}:${m.messageId}`, call);
  }
}

const wrapErrors = () =>
  logs
    .filter((l) => l.level === "error" && l.msg.includes("aroundProcessMessage"))
    .map((l) => l.msg);

describe("aroundProcessMessage", () => {
  test("wraps nest in list order, the first outermost, between the before and after hooks; the actor runs inside every wrap's context", async () => {
    const calls: string[] = [];
    const a = new Scoped("A", calls);
    const b = new Scoped("B", calls);
    const hooks = new (class extends Middleware {
      override beforeProcessMessage() {
        calls.push("before");
      }
      override afterProcessMessage(_b: Broker, _m: MessageProxy, outcome: AfterProcessOutcome) {
        calls.push(`after ${String(outcome.result)}`);
      }
    })();
    const broker = new StubBroker({ middleware: [hooks, a, b] });
    const seen: unknown[] = [];
    const f = actor(
      async () => {
        await sleep(5);
        calls.push("actor");
        seen.push(a.store.getStore(), b.store.getStore(), getCurrentMessage()?.messageId);
        return 7;
      },
      { broker, actorName: "f" },
    );
    let id = "";
    await runAll(broker, async () => {
      id = (await f.send()).messageId;
    });
    expect(calls).toEqual(["before", "enter A", "enter B", "actor", "after 7"]);
    expect(seen).toEqual([`A:${id}`, `B:${id}`, id]);
    expect(wrapErrors()).toEqual([]);
  });

  test("the outcome is the actor's, whatever a wrap returns: a failure is retried and dead-lettered, a value reaches the after hooks", async () => {
    const outcomes: AfterProcessOutcome[] = [];
    const liar = new (class extends Middleware {
      override async aroundProcessMessage(
        _b: Broker,
        _m: MessageProxy,
        call: () => Promise<unknown>,
      ) {
        try {
          await call();
        } catch {
          // swallowing the actor's error must not make the message succeed
        }
        return "not the actor's value";
      }
      override afterProcessMessage(_b: Broker, _m: MessageProxy, outcome: AfterProcessOutcome) {
        outcomes.push(outcome);
      }
    })();
    const broker = new StubBroker();
    broker.addMiddleware(liar);
    let attempts = 0;
    const f = actor(
      (fail: boolean) => {
        attempts++;
        if (fail) throw new Error("boom");
        return "value";
      },
      { broker, actorName: "f", maxRetries: 1, minBackoff: 10, maxBackoff: 10 },
    );
    await runAll(broker, async () => {
      await f.send(false);
      await f.send(true);
    });
    expect(outcomes[0]).toEqual({ result: "value" });
    expect(outcomes.slice(1).map((o) => (o.exception as Error).message)).toEqual(["boom", "boom"]);
    expect(attempts).toBe(3);
    expect(broker.deadLetters).toHaveLength(1);
    expect(wrapErrors()).toEqual([]);
  });

  test("a wrap that throws, returns without calling call, or calls it twice is logged and the actor runs exactly once", async () => {
    const broker = new StubBroker({
      middleware: [
        new (class Thrower extends Middleware {
          override aroundProcessMessage(): Promise<unknown> {
            throw new Error("wrap bug");
          }
        })(),
        new (class Forgetful extends Middleware {
          override aroundProcessMessage(): Promise<unknown> {
            return Promise.resolve("never called it");
          }
        })(),
        new (class Twice extends Middleware {
          override aroundProcessMessage(
            _b: Broker,
            _m: MessageProxy,
            call: () => Promise<unknown>,
          ) {
            void call();
            return call();
          }
        })(),
        new (class Sync extends Middleware {
          override aroundProcessMessage(): Promise<unknown> {
            return undefined as unknown as Promise<unknown>;
          }
        })(),
      ],
    });
    let runs = 0;
    const f = actor(() => void runs++, { broker, actorName: "f" });
    await runAll(broker, () => f.send());
    expect(runs).toBe(1);
    expect(broker.deadLetters).toHaveLength(0);
    expect(wrapErrors().sort()).toEqual([
      "Unexpected failure in aroundProcessMessage of Forgetful; ignored.",
      "Unexpected failure in aroundProcessMessage of Sync; ignored.",
      "Unexpected failure in aroundProcessMessage of Thrower; ignored.",
    ]);
  });

  test("an async wrap may get ready before it calls call", async () => {
    const store = new AsyncLocalStorage<string>();
    const broker = new StubBroker();
    broker.addMiddleware(
      new (class extends Middleware {
        override async aroundProcessMessage(
          _b: Broker,
          _m: MessageProxy,
          call: () => Promise<unknown>,
        ) {
          await sleep(10);
          return store.run("ready", call);
        }
      })(),
    );
    const seen: unknown[] = [];
    const f = actor(() => void seen.push(store.getStore()), { broker, actorName: "f" });
    await runAll(broker, () => f.send());
    expect(seen).toEqual(["ready"]);
    expect(wrapErrors()).toEqual([]);
  });

  test("a wrap's context reaches neither the after hooks nor the next message's before hooks", async () => {
    const scoped = new Scoped("S");
    const seen: string[] = [];
    const probe = new (class extends Middleware {
      override beforeProcessMessage() {
        seen.push(`before ${scoped.store.getStore() ?? "none"}`);
      }
      override afterProcessMessage() {
        seen.push(`after ${scoped.store.getStore() ?? "none"}`);
      }
    })();
    const broker = new StubBroker({ middleware: [probe, scoped] });
    const f = actor(async () => sleep(1), { broker, actorName: "f" });
    await runAll(broker, async () => {
      await f.send();
      await f.send();
    });
    expect(seen).toEqual(["before none", "after none", "before none", "after none"]);
  });

  test("the after hooks of a message interrupted by its time limit see it as the current message", async () => {
    // One timer serves every deadline: the second expiry runs in the first message's context.
    const current: [string, string | undefined][] = [];
    const broker = new StubBroker();
    broker.addMiddleware(
      new (class extends Middleware {
        override afterProcessMessage(_b: Broker, m: MessageProxy, o: AfterProcessOutcome) {
          if (o.exception instanceof TimeLimitExceeded) {
            current.push([m.messageId, getCurrentMessage()?.messageId]);
          }
        }
      })(),
    );
    const slow = actor(async () => sleep(1500), { broker, actorName: "slow", maxRetries: 0 });
    await runAll(
      broker,
      async () => {
        await slow.sendWithOptions({ args: [], timeLimit: 100 });
        await slow.sendWithOptions({ args: [], timeLimit: 300 });
      },
      2,
    );
    expect(current).toHaveLength(2);
    for (const [id, seen] of current) expect(seen).toBe(id);
  });

  test("LocalBroker runs its actors inside the wraps too", async () => {
    const scoped = new Scoped("L");
    const broker = new LocalBroker();
    broker.addMiddleware(scoped);
    const seen: unknown[] = [];
    const f = actor(() => void seen.push(scoped.store.getStore()), { broker, actorName: "f" });
    const m = await f.send();
    expect(seen).toEqual([`L:${m.messageId}`]);
  });
});
