import { InvalidArgument } from "@taskq/core";
import { Cron } from "croner";

/** Enumerating more ticks than this in one go is cut short (and counted as "at least"). */
export const ENUMERATION_CAP = 10_000;

/** The ticks of one schedule, in ms since the epoch. */
export interface Timeline {
  /** The first tick at or after `t`, or `null` when there is none. */
  atOrAfter(t: number): number | null;
  /** The first tick strictly after `t`, or `null`. */
  after(t: number): number | null;
  /** Up to `k` latest ticks in [from, to), oldest first. */
  latest(from: number, to: number, k: number): number[];
  /** How many ticks lie in [from, to); `capped` when counting stopped at the cap. */
  count(from: number, to: number): { count: number; capped: boolean };
}

/** `anchor + k × interval`, k ≥ 0: a fixed grid, whatever the time zone or DST. */
export function everyTimeline(anchor: number, interval: number): Timeline {
  const atOrAfter = (t: number) =>
    t <= anchor ? anchor : anchor + Math.ceil((t - anchor) / interval) * interval;
  return {
    atOrAfter,
    after: (t) => atOrAfter(t + 1),
    latest(from, to, k) {
      const first = atOrAfter(from);
      if (first >= to || k <= 0) return [];
      const last = atOrAfter(to) - interval;
      const n = Math.min(k, Math.floor((last - first) / interval) + 1);
      return Array.from({ length: n }, (_, i) => last - (n - 1 - i) * interval);
    },
    count(from, to) {
      const first = atOrAfter(from);
      if (first >= to) return { count: 0, capped: false };
      return {
        count: Math.floor((atOrAfter(to) - interval - first) / interval) + 1,
        capped: false,
      };
    },
  };
}

/** Checks a cron pattern: 5 fields, or 6 with seconds first. */
export function parseCron(pattern: string, timezone: string, where: string): Cron {
  const fields = pattern.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) {
    throw new InvalidArgument(
      `${where}: cron pattern ${JSON.stringify(pattern)} must have 5 fields (minute hour day month weekday) or 6 (seconds first), it has ${fields}`,
    );
  }
  let cron: Cron;
  try {
    cron = new Cron(pattern, { timezone, paused: true, mode: "5-or-6-parts" });
  } catch (err) {
    throw new InvalidArgument(
      `${where}: invalid cron pattern ${JSON.stringify(pattern)}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (cron.nextRun() === null) {
    throw new InvalidArgument(`${where}: cron pattern ${JSON.stringify(pattern)} never fires`);
  }
  return cron;
}

/**
 * The ticks of a cron pattern in a time zone (croner, DST included), none before `startAt`.
 */
export function cronTimeline(cron: Cron, startAt: number | undefined): Timeline {
  const floor = startAt ?? Number.NEGATIVE_INFINITY;
  const after = (t: number) => {
    const next = cron.nextRun(new Date(Math.max(t, floor - 1)));
    return next === null ? null : next.getTime();
  };
  const count = (from: number, to: number) => {
    let n = 0;
    for (let t = after(from - 1); t !== null && t < to; t = after(t)) {
      if (++n >= ENUMERATION_CAP) return { count: n, capped: true };
    }
    return { count: n, capped: false };
  };
  return {
    atOrAfter: (t) => after(t - 1),
    after,
    latest(from, to, k) {
      if (k <= 0) return [];
      const { count: n, capped } = count(from, to);
      if (!capped) {
        const out: number[] = [];
        for (let t = after(from - 1); t !== null && t < to; t = after(t)) out.push(t);
        return out.slice(Math.max(0, out.length - k));
      }
      // Too many to walk: step back from the end instead.
      return cron
        .previousRuns(Math.min(k, n), new Date(to))
        .map((d) => d.getTime())
        .filter((t) => t >= from && t >= floor && t < to)
        .reverse();
    },
    count,
  };
}

/** Throws an InvalidArgument unless `timezone` is an IANA time zone name this runtime knows. */
export function checkTimezone(timezone: unknown, where: string): string {
  if (typeof timezone !== "string" || timezone.length === 0) {
    throw new InvalidArgument(
      `${where}: timezone must be an IANA time zone name such as "Europe/Paris"`,
    );
  }
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
  } catch {
    throw new InvalidArgument(
      `${where}: unknown time zone ${JSON.stringify(timezone)} (give an IANA name such as "Europe/Paris")`,
    );
  }
  return timezone;
}
