import { actor, ConnectionFailed, InvalidArgument } from "@taskq/core";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { RabbitmqBroker } from "../../src/index.js";
import { captureLogs, makeBroker } from "../helpers/index.js";

// Port 1 on loopback: nothing listens there, so every connection attempt is refused.
const NOWHERE = "amqp://guest:secret@127.0.0.1:1";

const cleanups: (() => Promise<unknown>)[] = [];
let logs: ReturnType<typeof captureLogs>;

beforeEach(() => {
  logs = captureLogs();
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

function unreachable(options: ConstructorParameters<typeof RabbitmqBroker>[0] = {}) {
  const b = new RabbitmqBroker({ url: NOWHERE, ...options });
  cleanups.push(() => b.close());
  return b;
}

async function timed<T>(work: Promise<T>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, ms: Date.now() - started };
}

function expectCouldNotConnect(error: unknown): void {
  expect(error).toBeInstanceOf(ConnectionFailed);
  const { message } = error as Error;
  expect(message).toContain("Could not connect to RabbitMQ at amqp://guest:***@127.0.0.1:1");
  expect(message).not.toContain("secret");
  expect(message).not.toMatch(/lost/i);
}

describe("an unreachable server", () => {
  test("ping rejects within connectionTimeout with a ConnectionFailed naming the address", async () => {
    const b = unreachable({ connectionTimeout: 1500 });
    const { error, ms } = await timed(b.ping());
    expectCouldNotConnect(error);
    expect((error as Error).message).toContain("within 1500 ms");
    expect(ms).toBeLessThan(5000);
  });

  test("ping's own timeout wins over a longer connectionTimeout", async () => {
    const b = unreachable({ connectionTimeout: 60_000 });
    const { error, ms } = await timed(b.ping({ timeout: 800 }));
    expectCouldNotConnect(error);
    expect(ms).toBeLessThan(4000);
  });

  test("ping refuses a timeout that is not a positive number of ms", async () => {
    const b = unreachable();
    await expect(b.ping({ timeout: -1 })).rejects.toThrow(InvalidArgument);
    await expect(b.ping({ timeout: "1s" as unknown as number })).rejects.toThrow(/timeout/);
  });

  test.each([false, true])(
    "send (confirmDelivery %s) rejects with ConnectionFailed and logs no error of its own",
    async (confirmDelivery) => {
      const b = unreachable({ connectionTimeout: 1500, confirmDelivery });
      const job = actor(() => undefined, { broker: b, actorName: "job" });
      const { error, ms } = await timed(job.send());
      expectCouldNotConnect(error);
      expect(ms).toBeLessThan(5000);
      // Let any late log line land before looking.
      await new Promise((r) => setTimeout(r, 300));
      expect(logs.filter((l) => l.level === "error" || l.level === "warn")).toEqual([]);
      expect(logs.filter((l) => l.err !== undefined)).toEqual([]);
    },
  );
});

test("ping resolves against a live server", async () => {
  const b = makeBroker();
  cleanups.push(() => b.close());
  await b.ping({ timeout: 5000 });
  await b.ping();
});
