import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, test } from "vitest";
import type { CancelBackend, CancelBackendOptions } from "../cancel/cancel-backend.js";
import { InvalidArgument } from "../errors.js";
import { trackInstances } from "./instances.js";
import { sleep, waitUntil } from "./wait.js";

/** Makes a fresh cancel backend for one test of a conformance suite. */
export type MakeCancelBackend = (
  options: CancelBackendOptions,
) => CancelBackend | Promise<CancelBackend>;

/** Options of `cancelBackendConformance(makeBackend, options)`. */
export interface CancelBackendConformanceOptions {
  /** Suite title. */
  name?: string;
  /** Per-test timeout, ms. Default 30 000. */
  timeout?: number;
  /** Release a backend after a test (close its connections). */
  destroy?: (backend: CancelBackend) => Promise<void>;
  /**
   * Another handle on the same store, as another process would have one (a second client).
   * Default: the same instance.
   */
  peer?: (backend: CancelBackend) => CancelBackend | Promise<CancelBackend>;
}

/**
 * What every cancel backend must do: marks by id that any handle sees and that expire after
 * the TTL, and notices of every cancel to every subscriber until it unsubscribes.
 */
export function cancelBackendConformance(
  makeBackend: MakeCancelBackend,
  options: CancelBackendConformanceOptions = {},
): void {
  const timeout = options.timeout ?? 30_000;

  describe(options.name ?? "cancel backend conformance", () => {
    let nextOptions: CancelBackendOptions = {};
    const setup = trackInstances(() => makeBackend(nextOptions), options.destroy);
    const make = (o: CancelBackendOptions = {}) => {
      nextOptions = o;
      return setup();
    };
    const peers: CancelBackend[] = [];
    afterEach(async () => {
      while (peers.length > 0) {
        const peer = peers.pop()!;
        if (options.destroy) await options.destroy(peer);
      }
    });
    const peerOf = async (b: CancelBackend): Promise<CancelBackend> => {
      if (options.peer === undefined) return b;
      const peer = await options.peer(b);
      peers.push(peer);
      return peer;
    };

    test("ids are canceled once marked, through any handle, answered in order", {
      timeout,
    }, async () => {
      const b = await make();
      const peer = await peerOf(b);
      const [x, y, z] = [randomUUID(), randomUUID(), randomUUID()];
      expect(await peer.areCanceled([x, y, z])).toEqual([false, false, false]);
      await b.cancel([x, z]);
      expect(await peer.areCanceled([x, y, z])).toEqual([true, false, true]);
      expect(await b.areCanceled([])).toEqual([]);
      // Canceling again, or nothing, is fine.
      await b.cancel([x]);
      await b.cancel([]);
      expect(await peer.areCanceled([x])).toEqual([true]);
    });

    test("every subscriber hears of every cancel until it closes its subscription", {
      timeout,
    }, async () => {
      const b = await make();
      const peer = await peerOf(b);
      const heardHere: string[] = [];
      const heardThere: string[] = [];
      const here = await b.subscribe({ onCancel: (ids) => heardHere.push(...ids) });
      const there = await peer.subscribe({ onCancel: (ids) => heardThere.push(...ids) });
      const [x, y] = [randomUUID(), randomUUID()];
      await b.cancel([x, y]);
      await waitUntil(() => heardThere.length === 2 && heardHere.length === 2, {
        what: "both subscribers heard the cancel",
      });
      expect(heardThere.sort()).toEqual([x, y].sort());
      await there.close();
      const z = randomUUID();
      await b.cancel([z]);
      await waitUntil(() => heardHere.includes(z), { what: "the open subscription heard" });
      await sleep(200);
      expect(heardThere).not.toContain(z);
      await here.close();
    });

    test("marks expire after the TTL", { timeout }, async () => {
      const b = await make({ ttl: 400 });
      expect(b.ttl).toBe(400);
      const x = randomUUID();
      await b.cancel([x]);
      expect(await b.areCanceled([x])).toEqual([true]);
      await sleep(900);
      expect(await b.areCanceled([x])).toEqual([false]);
    });

    test("bad ids and a bad ttl are InvalidArgument", { timeout }, async () => {
      const b = await make();
      await expect(b.cancel(["ok", ""])).rejects.toThrow(InvalidArgument);
      await expect(b.cancel("abc" as unknown as string[])).rejects.toThrow(/array/);
      await expect(b.areCanceled([5 as unknown as string])).rejects.toThrow(InvalidArgument);
      await expect(Promise.resolve().then(() => makeBackend({ ttl: -1 }))).rejects.toThrow(/ttl/);
    });
  });
}
