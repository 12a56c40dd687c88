import { describe, expect, test } from "vitest";
import { Keys } from "../../src/keys.js";

describe("Keys", () => {
  test("the default layout is Dramatiq's, unchanged", () => {
    const k = new Keys("dramatiq", "w1");
    expect([
      k.queue("q"),
      k.messages("q"),
      k.queue("q.DQ"),
      k.messages("q.DQ"),
      k.acks("q"),
      k.acks("q.DQ", "w2"),
      k.dead("q.DQ"),
      k.deadMessages("q"),
      k.wake("q"),
      k.heartbeats,
      k.registry,
      k.paused,
    ]).toEqual([
      "dramatiq:q",
      "dramatiq:q.msgs",
      "dramatiq:q.DQ",
      "dramatiq:q.DQ.msgs",
      "dramatiq:__acks__.w1.q",
      "dramatiq:__acks__.w2.q.DQ",
      "dramatiq:q.XQ",
      "dramatiq:q.XQ.msgs",
      "dramatiq:__wake__.q",
      "dramatiq:__heartbeats__",
      "dramatiq:__ackqueues__.w1",
      "dramatiq:__paused__",
    ]);
    expect(k.wakeTopic("dramatiq:__wake__.q.DQ")).toBe("q.DQ");
  });

  test("the cluster layout tags every key of a queue, its delay queue's included, with {q}", () => {
    const k = new Keys("ns", "w1", true);
    expect([
      k.queue("q"),
      k.messages("q"),
      k.queue("q.DQ"),
      k.messages("q.DQ"),
      k.acks("q"),
      k.acks("q.DQ"),
      k.dead("q.DQ"),
      k.deadMessages("q"),
      k.wake("q.DQ"),
    ]).toEqual([
      "ns:{q}",
      "ns:{q}.msgs",
      "ns:{q}.DQ",
      "ns:{q}.DQ.msgs",
      "ns:__acks__.w1.{q}",
      "ns:__acks__.w1.{q}.DQ",
      "ns:{q}.XQ",
      "ns:{q}.XQ.msgs",
      "ns:__wake__.{q}.DQ",
    ]);
    expect(k.wakeTopic(k.wake("q.DQ"))).toBe("q.DQ");
    expect(k.wakeTopic(k.wake("__data__:items"))).toBe("__data__:items");
    expect(k.wakeTopic("other:__wake__.q")).toBeUndefined();
  });
});
