import type { Timeline } from "./timeline.js";
import { ENUMERATION_CAP } from "./timeline.js";

/** What to do after downtime with ticks that fell due while no scheduler ran. */
export type MissedPolicy = "skip" | "once" | "all";

/** One tick to send: `late` when it is a catch-up of a missed tick. */
export interface PlannedTick {
  at: number;
  late: boolean;
}

export interface Plan {
  /** The ticks to send, oldest first. */
  ticks: PlannedTick[];
  /** Missed ticks not sent (by the policy or beyond maxCatchUp). */
  skipped: { count: number; capped: boolean; first: number; last: number } | undefined;
  /** The first tick after `now`, or `null` when the schedule has no more. */
  next: number | null;
}

export interface PlanInput {
  timeline: Timeline;
  /** The stored next tick: the first one not yet claimed. */
  next: number;
  now: number;
  /** A tick at most this late is on time; an older one was missed. */
  grace: number;
  missed: MissedPolicy;
  maxCatchUp: number;
}

/**
 * Which due ticks to send. Ticks due within the last `grace` ms are on time and always sent;
 * older ones were missed (no scheduler ran then): `skip` sends none of them, `once` the
 * latest, `all` the latest `maxCatchUp`, oldest first.
 */
export function planTicks(input: PlanInput): Plan {
  const { timeline, next, now, grace, missed, maxCatchUp } = input;
  const lateBefore = now - grace;
  const onTime: PlannedTick[] = [];
  for (
    let t = timeline.atOrAfter(Math.max(next, lateBefore));
    t !== null && t <= now && onTime.length < ENUMERATION_CAP;
  ) {
    onTime.push({ at: t, late: false });
    t = timeline.after(t);
  }
  const after = timeline.after(now);
  const missedCount =
    next < lateBefore ? timeline.count(next, lateBefore) : { count: 0, capped: false };
  if (missedCount.count === 0) return { ticks: onTime, skipped: undefined, next: after };
  const keep = missed === "skip" ? 0 : missed === "once" ? 1 : maxCatchUp;
  const caughtUp = timeline.latest(next, lateBefore, keep).map((at) => ({ at, late: true }));
  const skippedCount = missedCount.count - caughtUp.length;
  let skipped: Plan["skipped"];
  if (skippedCount > 0) {
    const first = timeline.atOrAfter(next) ?? next;
    const lastSkipped =
      caughtUp.length > 0
        ? timeline.latest(next, caughtUp[0]!.at, 1)[0]!
        : timeline.latest(next, lateBefore, 1)[0]!;
    skipped = { count: skippedCount, capped: missedCount.capped, first, last: lastSkipped };
  }
  return { ticks: [...caughtUp, ...onTime], skipped, next: after };
}
