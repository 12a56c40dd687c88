import type { Broker, Message } from "@taskq/core";
import { actor, Middleware, StubBroker } from "@taskq/core";
import { vi } from "vitest";

/** Every message the broker accepted, with when (by the fake clock) and its delay. */
export class Sent extends Middleware {
  readonly messages: { message: Message; at: number; delay: number | undefined }[] = [];
  override afterEnqueue(_broker: Broker, message: Message, delay: number | undefined): void {
    this.messages.push({ message, at: Date.now(), delay });
  }
  /** The `scheduled_for` of each message, in the order sent. */
  ticks(): number[] {
    return this.messages.map((m) => m.message.options.scheduled_for as number);
  }
}

export function setup() {
  const broker = new StubBroker();
  const sent = new Sent();
  broker.addMiddleware(sent);
  const task = actor((_n?: number) => {}, { actorName: "task", broker });
  return { broker, sent, task };
}

/** Fake Date and timers from `start` (an ISO time). */
export function fakeTime(start: string): number {
  const t = Date.parse(start);
  vi.useFakeTimers({ now: t, toFake: ["Date", "setTimeout", "clearTimeout"] });
  return t;
}

/** Let the fake clock run `ms` (timers fire, promises settle in between). */
export async function run(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const at = (iso: string) => Date.parse(iso);
