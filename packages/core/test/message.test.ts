import { spawnSync } from "node:child_process";
import { describe, expect, test } from "vitest";
import { actor, DecodeError, EncodeError, Message, StubBroker } from "../src/index.js";
import { captureLogs } from "./helpers.js";

captureLogs();

function pythonJson(data: unknown): string | undefined {
  const r = spawnSync(
    "python3",
    [
      "-c",
      'import json,sys; sys.stdout.write(json.dumps(json.loads(sys.stdin.read()), separators=(",", ":")))',
    ],
    { input: JSON.stringify(data), encoding: "utf8" },
  );
  return r.status === 0 ? r.stdout : undefined;
}

describe("Message wire format", () => {
  const message = new Message({
    queueName: "default",
    actorName: "count_words",
    args: ["https://example.com/ünïcode ✓ 😀", 3, { nested: [true, null] }],
    options: { max_retries: 3, eta: 1_700_000_000_000 },
    messageId: "9b3c4d3e-1111-4222-8333-444455556666",
    messageTimestamp: 1_700_000_000_000,
  });

  test("fields come out in Dramatiq's order, compact", () => {
    const text = Buffer.from(message.encode()).toString("latin1");
    expect(Object.keys(JSON.parse(text))).toEqual([
      "queue_name",
      "actor_name",
      "args",
      "kwargs",
      "options",
      "message_id",
      "message_timestamp",
    ]);
    expect(text).not.toMatch(/": |", /);
  });

  test.runIf(pythonJson({}) !== undefined)(
    "bytes equal what Python's json (as Dramatiq calls it) writes for the same message",
    () => {
      const ours = Buffer.from(message.encode()).toString("latin1");
      expect(ours).toBe(pythonJson(message.asDict()));
    },
  );

  test("decode(encode(m)) gives back the same message", () => {
    const back = Message.decode(message.encode());
    expect(back.asDict()).toEqual(message.asDict());
  });

  test("a message written by Python, with kwargs, decodes", () => {
    const raw =
      '{"queue_name":"default","actor_name":"add","args":[1],"kwargs":{"y":2},"options":{},"message_id":"x","message_timestamp":1}';
    const m = Message.decode(Buffer.from(raw));
    expect(m.kwargs).toEqual({ y: 2 });
    expect(m.args).toEqual([1]);
  });

  test.each([
    ["not JSON", "{oops"],
    ["not an object", "[1,2]"],
    [
      "a missing actor_name",
      '{"queue_name":"q","args":[],"kwargs":{},"options":{},"message_id":"x","message_timestamp":1}',
    ],
    [
      "args that are not a list",
      '{"queue_name":"q","actor_name":"a","args":{},"kwargs":{},"options":{},"message_id":"x","message_timestamp":1}',
    ],
  ])("%s is a DecodeError that names the problem", (_what, raw) => {
    expect(() => Message.decode(Buffer.from(raw))).toThrow(DecodeError);
  });

  test("copy changes fields and merges options, keeping id and timestamp", () => {
    const c = message.copy({ queueName: "other", options: { retries: 1, eta: undefined } });
    expect(c.queueName).toBe("other");
    expect(c.messageId).toBe(message.messageId);
    expect(c.messageTimestamp).toBe(message.messageTimestamp);
    expect(c.options).toEqual({ max_retries: 3, retries: 1 });
    expect(message.options).toEqual({ max_retries: 3, eta: 1_700_000_000_000 });
  });

  test("a message is not thenable, so awaiting send() yields the message", async () => {
    expect("then" in message).toBe(false);
    const broker = new StubBroker();
    const a = actor((_x: number) => undefined, { broker, actorName: "a" });
    const sent = await a.send(1);
    expect(sent).toBeInstanceOf(Message);
    expect(sent.toString()).toBe("a(1)");
  });
});

describe("arguments JSON cannot carry", () => {
  const broker = new StubBroker();
  const take = actor((_x: unknown) => undefined, { broker, actorName: "take" });
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;

  test.each([
    ["a BigInt", 10n, /args\[0\] cannot be encoded as JSON: BigInt 10n/],
    ["NaN", Number.NaN, /args\[0\] cannot be encoded as JSON: NaN is not a finite number/],
    ["Infinity nested", { a: [1, Number.POSITIVE_INFINITY] }, /args\[0\]\.a\[1\]/],
    ["a function", () => 1, /has no JSON form/],
    ["a Map", new Map([[1, 2]]), /a Map would be encoded as \{\}/],
    ["a cycle", cycle, /args\[0\]\.self .*cycle/],
    ["undefined in an array", [1, undefined], /args\[0\]\[1\] .*would become null/],
  ])(
    "%s is refused with an EncodeError that names where it is, and nothing is enqueued",
    async (_what, value, pattern) => {
      const error = await take.send(value).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EncodeError);
      expect((error as Error).message).toMatch(pattern);
      expect(broker.queueSize("default")).toBe(0);
    },
  );

  test("Dates travel as ISO strings, undefined object members are left out", async () => {
    const when = new Date("2026-01-02T03:04:05.000Z");
    await take.send({ when, missing: undefined });
    expect(broker.queueSize("default")).toBe(1);
    await broker.flush("default");
  });
});
