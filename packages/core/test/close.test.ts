import { describe, expect, test } from "vitest";
import {
  GroupCallbacks,
  Middleware,
  Results,
  StubBroker,
  StubRateLimiterBackend,
  StubResultBackend,
} from "../src/index.js";
import { captureLogs } from "./helpers.js";

/** Backends that opened connections of their own, as the Redis and memcached ones do. */
class ClosableResults extends StubResultBackend {
  closed = 0;
  async close(): Promise<void> {
    this.closed++;
  }
}

class ClosableLimits extends StubRateLimiterBackend {
  closed = 0;
  async close(): Promise<void> {
    this.closed++;
  }
}

describe("broker.close() closes what its middleware hold", () => {
  test("the Results and GroupCallbacks backends are closed, once, after the broker's own close", async () => {
    const order: string[] = [];
    class Tracked extends StubBroker {
      override async close(): Promise<void> {
        order.push("broker");
        await super.close();
      }
    }
    const broker = new Tracked();
    const results = new ClosableResults();
    const limits = new ClosableLimits();
    broker.addMiddleware(new Results({ backend: results }));
    broker.addMiddleware(new GroupCallbacks(limits));
    broker.addMiddleware(
      new (class extends Middleware {
        override afterBrokerClose(): void {
          order.push(`middleware (results closed: ${results.closed})`);
        }
      })(),
    );
    await broker.close();
    await broker.close();
    expect(results.closed).toBe(1);
    expect(limits.closed).toBe(1);
    // Hooks run in reverse: the last middleware added releases first, after the broker.
    expect(order).toEqual(["broker", "middleware (results closed: 0)", "broker"]);
  });

  test("a backend that fails to close is logged; the others are still closed", async () => {
    const logs = captureLogs();
    const broker = new StubBroker();
    const results = new ClosableResults();
    const limits = new ClosableLimits();
    limits.close = async () => {
      throw new Error("socket already gone");
    };
    broker.addMiddleware(new Results({ backend: results }));
    broker.addMiddleware(new GroupCallbacks(limits));
    await broker.close();
    expect(results.closed).toBe(1);
    expect(logs.some((l) => l.level === "error" && l.msg.includes("afterBrokerClose"))).toBe(true);
  });
});
