import { InvalidArgument } from "@taskq/core";
import memjs from "memjs";
import { describe, expect, inject, test } from "vitest";
import type { MemcachedResultBackendOptions } from "../../src/index.js";
import { MemcachedResultBackend } from "../../src/index.js";

describe("MemcachedResultBackend options", () => {
  test.each([
    [{ servers: 11211 }, "servers must be"],
    [{ servers: [] }, "servers must be"],
    [{ servers: ["127.0.0.1:11211", 5] }, "servers must be"],
    [{ namespace: 5 }, "namespace must be a non-empty string, got 5"],
    [{ encoder: "json" }, 'encoder must be an object, got "json"'],
    [{ client: {} }, "client must be a memjs client, got {}"],
  ])("%j is refused with an InvalidArgument naming the option", (options, message) => {
    const make = () => new MemcachedResultBackend(options as MemcachedResultBackendOptions);
    expect(make).toThrow(InvalidArgument);
    expect(make).toThrow(`MemcachedResultBackend option ${message}`);
  });

  test("servers given with client would be ignored: refused", () => {
    const client = memjs.Client.create(inject("memcachedServers"), { logger: { log() {} } });
    try {
      expect(
        () => new MemcachedResultBackend({ client, servers: inject("memcachedServers") }),
      ).toThrow(
        new InvalidArgument(
          "MemcachedResultBackend option servers has no effect with client: set them on the client instead",
        ),
      );
    } finally {
      client.close();
    }
  });
});
