import { describe, expect, test } from "vitest";
import { taskqDone, testEnv } from "../helpers.js";

// The promise to operators: a broker that is not there is exit 3 within 5 s, with a line
// naming the broker, whether its ping honours its timeout or not (ioredis's defaults retry
// for over a minute; RabbitMQ's connection timeout is 10 s).
const BOUND = 5000;

describe("an unreachable broker at boot", () => {
  test.each([
    ["the worker command", ["unreachable.mjs", "-p", "2"]],
    ["queues", ["queues", "unreachable.mjs"]],
    ["dead-letters", ["dead-letters", "unreachable.mjs", "default"]],
    ["send", ["send", "unreachable.mjs", "nothing"]],
  ])("Redis: %s exits 3 within 5 s saying it could not connect", async (_what, args) => {
    const { code, output, ms } = await taskqDone(args, testEnv());
    expect(code).toBe(3);
    expect(ms).toBeLessThan(BOUND);
    expect(output).toMatch(
      /Could not connect to the broker \(RedisBroker set by unreachable\.mjs\)/,
    );
  });

  test.each([
    ["the worker command", ["unreachable-rabbitmq.mjs", "-p", "2"]],
    ["queues", ["queues", "unreachable-rabbitmq.mjs"]],
  ])("RabbitMQ: %s exits 3 within 5 s saying it could not connect", async (_what, args) => {
    const { code, output, ms } = await taskqDone(args, testEnv());
    expect(code).toBe(3);
    expect(ms).toBeLessThan(BOUND);
    expect(output).toMatch(
      /Could not connect to the broker \(RabbitmqBroker set by unreachable-rabbitmq\.mjs\)/,
    );
  });

  test("the main process says which worker failed to boot, and exits with its code", async () => {
    const { output } = await taskqDone(["unreachable.mjs", "-p", "1"], testEnv());
    expect(output).toMatch(/\[MainProcess\].*Worker process 0 failed to boot \(exit 3\)/);
  });
});
