import { InvalidArgument } from "@taskq/core";
import memjs from "memjs";
import { describe, expect, inject, test } from "vitest";
import type { MemcachedRateLimiterBackendOptions } from "../../src/index.js";
import { MemcachedRateLimiterBackend } from "../../src/index.js";

describe("MemcachedRateLimiterBackend options", () => {
  test.each([
    [{ servers: 11211 }, "servers must be"],
    [{ servers: "" }, "servers must be"],
    [{ namespace: 5 }, "namespace must be a non-empty string, got 5"],
    [{ namespace: "" }, 'namespace must be a non-empty string, got ""'],
    [{ client: "127.0.0.1:11211" }, 'client must be a memjs client, got "127.0.0.1:11211"'],
  ])("%j is refused with an InvalidArgument naming the option", (options, message) => {
    const make = () =>
      new MemcachedRateLimiterBackend(options as MemcachedRateLimiterBackendOptions);
    expect(make).toThrow(InvalidArgument);
    expect(make).toThrow(`MemcachedRateLimiterBackend option ${message}`);
  });

  test("servers given with client would be ignored: refused", () => {
    const client = memjs.Client.create(inject("memcachedServers"), { logger: { log() {} } });
    try {
      expect(
        () => new MemcachedRateLimiterBackend({ client, servers: inject("memcachedServers") }),
      ).toThrow(
        new InvalidArgument(
          "MemcachedRateLimiterBackend option servers has no effect with client: set them on the client instead",
        ),
      );
    } finally {
      client.close();
    }
  });
});
