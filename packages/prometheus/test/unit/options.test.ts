import { InvalidArgument } from "@taskq/core";
import { expect, test } from "vitest";
import { Prometheus } from "../../src/index.js";

test("a port out of range is an InvalidArgument naming it, as every taskq usage error", () => {
  for (const port of [70_000, -1, 1.5]) {
    let caught: unknown;
    try {
      new Prometheus({ port });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidArgument);
    expect((caught as InvalidArgument).code).toBe("TASKQ_INVALID_ARGUMENT");
    expect((caught as Error).message).toMatch(/Prometheus port must be an integer from 0 to 65535/);
  }
});
