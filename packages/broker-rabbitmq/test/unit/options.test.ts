import { InvalidArgument, StubBroker } from "@taskq/core";
import { describe, expect, test } from "vitest";
import type { RabbitmqBrokerOptions } from "../../src/index.js";
import { RabbitmqBroker } from "../../src/index.js";

/** Construct with options a JavaScript caller (or a config file) could pass. */
function construct(options: unknown): RabbitmqBroker {
  return new RabbitmqBroker(options as RabbitmqBrokerOptions);
}

function refusal(options: unknown): InvalidArgument {
  try {
    construct(options);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgument);
    expect((err as InvalidArgument).code).toBe("TASKQ_INVALID_ARGUMENT");
    return err as InvalidArgument;
  }
  throw new Error(`accepted ${JSON.stringify(options)}`);
}

describe("RabbitmqBroker options are checked at construction", () => {
  test.each([
    [
      { connectionTimeout: "10s" },
      /option connectionTimeout must be a number of ms > 0.*got "10s"/,
    ],
    [{ connectionTimeout: 0 }, /option connectionTimeout must be/],
    [{ connectionTimeout: Number.POSITIVE_INFINITY }, /option connectionTimeout must be/],
    [{ connectionTimeout: 2 ** 31 }, /option connectionTimeout must be .*≤ 2147483647/],
    [
      { deadMessageTtl: -5 },
      /option deadMessageTtl must be an integer number of ms from 0.*got -5/,
    ],
    [{ deadMessageTtl: 1.5 }, /option deadMessageTtl must be/],
    [{ deadMessageTtl: 30 * 24 * 3600 * 1000 }, /option deadMessageTtl must be .*32 bits/],
    [{ confirmDelivery: "no" }, /option confirmDelivery must be a boolean, got "no"/],
    [{ maxPriority: 300 }, /option maxPriority must be an integer from 1 to 255, got 300/],
    [{ maxPriority: 0 }, /option maxPriority must be an integer from 1 to 255/],
    [{ maxPriority: 2.5 }, /option maxPriority must be an integer from 1 to 255/],
    [{ queueType: "stream" }, /option queueType must be "classic" or "quorum", got "stream"/],
    [{ queueType: true }, /option queueType must be "classic" or "quorum", got true/],
    [
      { queueType: "quorum", maxPriority: 10 },
      /option maxPriority cannot be used with queueType "quorum": quorum queues have no priorities/,
    ],
    [{ queue_type: "quorum" }, /did you mean queueType\?/],
    [{ url: 5 }, /option url must be an amqp:\/\/ or amqps:\/\/ URL.*got number/],
    [{ url: [] }, /option url must be/],
    [{ url: "redis://127.0.0.1:6379" }, /option url must be .*got "redis:\/\/127\.0\.0\.1:6379/],
    [
      { url: ["amqp://a:5672", "http://b"] },
      /option url must be .*\["amqp:\/\/a:5672", "http:\/\/b\/?"\]/,
    ],
    [{ socketOptions: "tls" }, /option socketOptions must be an object/],
    [{ middleware: {} }, /option middleware must be an array of middleware objects/],
    [
      { prefetch: 10 },
      /has no option "prefetch" \(each consumer's prefetch count is the Worker's prefetch option\)/,
    ],
    [
      { confirm_delivery: true },
      /has no option "confirm_delivery" \(did you mean confirmDelivery\?\)/,
    ],
    [{ max_priority: 10 }, /did you mean maxPriority\?/],
    [
      { connectionTimout: 100 },
      /has no option "connectionTimout"; its options are url, confirmDelivery/,
    ],
    [5, /RabbitmqBroker options must be an object, got 5/],
  ])("%j is refused", (options, message) => {
    expect(refusal(options).message).toMatch(message);
  });

  test("a URL refused for its scheme does not show its password", () => {
    const { message } = refusal({ url: "redis://user:hunter2@cache:6379" });
    expect(message).not.toContain("hunter2");
    expect(message).toContain("redis://user:***@cache:6379");
  });

  test("valid options are taken as given, without connecting", async () => {
    const b = new RabbitmqBroker({
      url: ["amqp://a:5672", "amqps://b:5671/vhost"],
      confirmDelivery: true,
      maxPriority: 255,
      deadMessageTtl: 0,
      connectionTimeout: 2 ** 31 - 1,
      socketOptions: { noDelay: true },
      middleware: new StubBroker().middleware.slice(),
    });
    expect(b.confirmDelivery).toBe(true);
    expect(b.maxPriority).toBe(255);
    expect(b.deadMessageTtl).toBe(0);
    expect(b.connectionTimeout).toBe(2 ** 31 - 1);
    expect(b.connection.connected).toBe(false);
    await b.close();
  });

  test("defaults, and undefined meaning not given", async () => {
    const b = new RabbitmqBroker({ url: undefined, maxPriority: undefined });
    expect(b.confirmDelivery).toBe(false);
    expect(b.maxPriority).toBeUndefined();
    expect(b.deadMessageTtl).toBe(7 * 24 * 3600 * 1000);
    expect(b.connectionTimeout).toBe(10_000);
    expect(b.connection.address).toBe("amqp://127.0.0.1:5672");
    await b.close();
  });

  test("options inherited from a prototype are not read", async () => {
    const b = construct(Object.create({ maxPriority: 300, confirmDelivery: true }));
    expect(b.maxPriority).toBeUndefined();
    expect(b.confirmDelivery).toBe(false);
    await b.close();
  });
});
