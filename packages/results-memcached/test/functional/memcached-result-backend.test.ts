import { createHash } from "node:crypto";
import { ConnectionFailed, Message, ResultFailure } from "@taskq/core";
import memjs from "memjs";
import { afterEach, describe, expect, inject, test } from "vitest";
import { MemcachedResultBackend } from "../../src/index.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function backend(
  options: ConstructorParameters<typeof MemcachedResultBackend>[0] = {},
): MemcachedResultBackend {
  const b = new MemcachedResultBackend({ servers: inject("memcachedServers"), ...options });
  cleanups.push(() => b.close());
  return b;
}

const message = new Message({
  queueName: "reports",
  actorName: "build",
  args: [],
  messageId: "m-1",
});

describe("MemcachedResultBackend", () => {
  test("keys and stored JSON are Dramatiq's, for a value and for a failure", async () => {
    const b = backend({ namespace: "dramatiq-results" });
    const raw = memjs.Client.create(inject("memcachedServers"), { logger: { log() {} } });
    cleanups.push(() => raw.close());
    const key = createHash("md5").update("dramatiq-results:reports:build:m-1").digest("hex");
    await b.storeResult(message, [1, "two"], 60_000);
    expect((await raw.get(key)).value?.toString()).toBe('[1,"two"]');
    await b.storeException(message, new TypeError("bad input"), 60_000);
    expect((await raw.get(key)).value?.toString()).toBe(
      '{"__t":"dramatiq.results.Result","exn":{"type":"TypeError","msg":"bad input"}}',
    );
    await expect(b.getResult(message)).rejects.toBeInstanceOf(ResultFailure);
  });

  test("an unreachable memcached is a clear ConnectionFailed", async () => {
    const b = backend({ servers: "127.0.0.1:1" });
    const error = await b.storeResult(message, 1, 1000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionFailed);
    expect((error as Error).message).toMatch(/memcached at 127\.0\.0\.1:1/);
  });
});
