/**
 * The most intervals that overlap at any instant: how many holders a limiter really had,
 * from [start, end] times reported by its callers (in several processes, say).
 */
export function maxOverlap(intervals: readonly (readonly [number, number])[]): number {
  const events = intervals.flatMap(([start, end]) => [
    [start, 1],
    [end, -1],
  ]);
  // At equal times, ends first: back-to-back holders do not overlap.
  events.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let now = 0;
  let peak = 0;
  for (const [, delta] of events) {
    now += delta!;
    peak = Math.max(peak, now);
  }
  return peak;
}
