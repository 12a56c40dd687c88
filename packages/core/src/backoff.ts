import type { BackoffStrategy } from "./options.js";

/** Inputs of `computeBackoff`: how long to wait before retry number `retries + 1`. */
export interface BackoffParams {
  /** Retries so far (0 before the first retry). */
  retries: number;
  /** Backoff of the first retry, ms. */
  minBackoff: number;
  /** Longest backoff, ms. */
  maxBackoff: number;
  /** Needed by the spread strategies; null means unbounded. */
  maxRetries: number | null;
  /** How the backoff grows between retries. */
  strategy: BackoffStrategy;
  /** Stretch the backoff by a random factor between 1 and 2 (see `MessageOptions.jitter`). */
  jitter: boolean;
  /** Source of randomness in [0, 1) for jitter. Default `Math.random`. */
  random?: () => number;
}

const MAX_EXPONENT = 32;

/**
 * Delay before the next retry, in ms. `exponential` is Dramatiq's formula
 * (minBackoff · 2^retries, capped); the others are Remoulade's. Jitter is Dramatiq 2.x's:
 * the delay is stretched by a random factor between 1 and 2, so the first retry waits between
 * 1× and 2× minBackoff; a stretched delay past maxBackoff is drawn between half and all of
 * maxBackoff instead, so capped delays keep some spread.
 */
export function computeBackoff(p: BackoffParams): number {
  const { retries, minBackoff, maxBackoff } = p;
  let backoff: number;
  switch (p.strategy) {
    case "constant":
      backoff = minBackoff;
      break;
    case "linear":
      backoff = minBackoff * (retries + 1);
      break;
    case "spread_linear": {
      const steps = p.maxRetries === null ? 0 : p.maxRetries - 1;
      backoff =
        steps > 0
          ? minBackoff + ((maxBackoff - minBackoff) * Math.min(retries, steps)) / steps
          : minBackoff;
      break;
    }
    case "spread_exponential": {
      const steps = p.maxRetries === null ? 0 : p.maxRetries - 1;
      backoff =
        steps > 0 && minBackoff > 0
          ? minBackoff * (maxBackoff / minBackoff) ** (Math.min(retries, steps) / steps)
          : minBackoff;
      break;
    }
    default:
      backoff = minBackoff * 2 ** Math.min(retries, MAX_EXPONENT);
  }
  if (p.jitter) {
    const random = p.random ?? Math.random;
    backoff *= 1 + random();
    if (backoff > maxBackoff) backoff = maxBackoff * (0.5 + random() / 2);
  } else {
    backoff = Math.min(backoff, maxBackoff);
  }
  return Math.floor(backoff);
}
