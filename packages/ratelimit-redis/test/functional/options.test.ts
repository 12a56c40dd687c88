import { InvalidArgument } from "@taskq/core";
import { Redis } from "ioredis";
import { describe, expect, inject, test } from "vitest";
import type { RedisRateLimiterBackendOptions } from "../../src/index.js";
import { RedisRateLimiterBackend } from "../../src/index.js";

describe("RedisRateLimiterBackend options", () => {
  test.each([
    [{ namespace: 5 }, "namespace must be a non-empty string, got 5"],
    [{ namespace: "" }, 'namespace must be a non-empty string, got ""'],
    [{ url: 5 }, "url must be a non-empty string, got 5"],
    [{ connectionTimeout: "1s" }, 'connectionTimeout must be a finite number > 0, got "1s"'],
    [{ client: {} }, "client must be an ioredis client, got {}"],
    [{ maxRetriesPerRequest: 3 }, "maxRetriesPerRequest must be 0"],
  ])("%j is refused with an InvalidArgument naming the option", (options, message) => {
    const make = () =>
      new RedisRateLimiterBackend({
        lazyConnect: true,
        ...(options as RedisRateLimiterBackendOptions),
      });
    expect(make).toThrow(InvalidArgument);
    expect(make).toThrow(`RedisRateLimiterBackend option ${message}`);
  });

  test("connection options given with client would be ignored: refused", () => {
    const client = new Redis(inject("redisUrl"), { lazyConnect: true });
    try {
      expect(() => new RedisRateLimiterBackend({ client, password: "secret" })).toThrow(
        new InvalidArgument(
          "RedisRateLimiterBackend option password has no effect with client: set it on the client instead",
        ),
      );
    } finally {
      client.disconnect();
    }
  });
});
