import { InvalidArgument } from "@taskq/core";
import { Redis } from "ioredis";
import { describe, expect, inject, test } from "vitest";
import type { RedisResultBackendOptions } from "../../src/index.js";
import { RedisResultBackend } from "../../src/index.js";

describe("RedisResultBackend options", () => {
  test.each([
    [{ namespace: 5 }, "namespace must be a non-empty string, got 5"],
    [{ url: 5 }, "url must be a non-empty string, got 5"],
    [{ connectionTimeout: -1 }, "connectionTimeout must be a finite number > 0, got -1"],
    [{ encoder: "json" }, 'encoder must be an object, got "json"'],
    [{ client: "redis://x" }, 'client must be an ioredis client, got "redis://x"'],
    [{ maxRetriesPerRequest: null }, "maxRetriesPerRequest must be 0"],
  ])("%j is refused with an InvalidArgument naming the option", (options, message) => {
    const make = () =>
      new RedisResultBackend({ lazyConnect: true, ...(options as RedisResultBackendOptions) });
    expect(make).toThrow(InvalidArgument);
    expect(make).toThrow(`RedisResultBackend option ${message}`);
  });

  test("connection options given with client would be ignored: refused", () => {
    const client = new Redis(inject("redisUrl"), { lazyConnect: true });
    try {
      expect(() => new RedisResultBackend({ client, url: inject("redisUrl") })).toThrow(
        new InvalidArgument(
          "RedisResultBackend option url has no effect with client: set it on the client instead",
        ),
      );
    } finally {
      client.disconnect();
    }
  });
});
