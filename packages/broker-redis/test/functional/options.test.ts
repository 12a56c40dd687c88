import { InvalidArgument } from "@taskq/core";
import { Redis } from "ioredis";
import { describe, expect, inject, test } from "vitest";
import type { RedisBrokerOptions } from "../../src/index.js";
import { RedisBroker } from "../../src/index.js";

describe("RedisBroker options", () => {
  test.each([
    [{ namespace: 5 }, "namespace must be a non-empty string, got 5"],
    [{ namespace: "" }, 'namespace must be a non-empty string, got ""'],
    [{ url: 5 }, "url must be a non-empty string, got 5"],
    [{ maintenanceChance: "5" }, 'maintenanceChance must be a number from 0 to 1 000 000, got "5"'],
    [{ maintenanceChance: 2e6 }, "maintenanceChance must be a number from 0 to 1 000 000"],
    [{ deadMessageTtl: -5 }, "deadMessageTtl must be a finite number > 0, got -5"],
    [{ heartbeatTimeout: 0 }, "heartbeatTimeout must be a finite number > 0, got 0"],
    [{ connectionTimeout: "10s" }, 'connectionTimeout must be a finite number > 0, got "10s"'],
    [
      { connectionTimeout: Number.POSITIVE_INFINITY },
      "connectionTimeout must be a finite number > 0",
    ],
    [{ client: {} }, "client must be an ioredis client, got {}"],
    [{ middleware: "none" }, "middleware must be an array of middleware"],
    [{ maxRetriesPerRequest: 20 }, "maxRetriesPerRequest must be 0"],
    [
      { cluster: { nodes: [] } },
      "cluster must be { nodes: [{ host, port }, ...], options? } with at least one node",
    ],
    [
      { cluster: { nodes: [{ host: "h" }] } },
      "cluster must be { nodes: [{ host, port }, ...], options? }: each node",
    ],
    [
      { cluster: { nodes: [{ host: "h", port: 1 }], options: 5 } },
      "cluster must be { nodes: [{ host, port }, ...], options? }: options an object",
    ],
    [
      { cluster: { nodes: [{ host: "h", port: 1 }] }, url: "redis://x" },
      "cluster cannot go with url",
    ],
    [
      { cluster: { nodes: [{ host: "h", port: 1 }] }, namespace: "a{b}" },
      "namespace must not contain { or } in cluster mode",
    ],
    [{ waitReplicas: -1 }, "waitReplicas must be a whole number, 0 or more, got -1"],
    [{ waitReplicas: 1.5 }, "waitReplicas must be a whole number, 0 or more"],
  ])("%j is refused with an InvalidArgument naming the option", (options, message) => {
    const make = () => new RedisBroker({ lazyConnect: true, ...(options as RedisBrokerOptions) });
    expect(make).toThrow(InvalidArgument);
    expect(make).toThrow(`RedisBroker option ${message}`);
  });

  test("options that are not an object are refused", () => {
    expect(() => new RedisBroker(5 as never)).toThrow(
      new InvalidArgument("RedisBroker options must be an object, got 5"),
    );
  });

  test("connection options given with client would be ignored: refused", () => {
    const client = new Redis(inject("redisUrl"), { lazyConnect: true });
    try {
      expect(() => new RedisBroker({ client, url: inject("redisUrl") })).toThrow(
        "RedisBroker option url has no effect with client",
      );
      expect(() => new RedisBroker({ client, db: 2 })).toThrow(
        "RedisBroker option db has no effect with client",
      );
    } finally {
      client.disconnect();
    }
  });

  test("options of the prototype are not read", () => {
    const options = Object.create({ namespace: 5, deadMessageTtl: -1 }) as RedisBrokerOptions;
    options.lazyConnect = true;
    const b = new RedisBroker(options);
    expect(b.namespace).toBe("taskq");
    expect(b.deadMessageTtl).toBe(7 * 24 * 3600 * 1000);
    void b.close();
  });

  test("ping({ timeout }) must be a positive number", async () => {
    const b = new RedisBroker({ url: inject("redisUrl"), lazyConnect: true });
    await expect(b.ping({ timeout: -1 })).rejects.toThrow(
      new InvalidArgument("RedisBroker.ping option timeout must be a finite number > 0, got -1"),
    );
    await b.close();
  });
});
