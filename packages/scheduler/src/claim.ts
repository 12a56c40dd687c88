import type { PlannedTick } from "./plan.js";

/**
 * Ticks a scheduler took on to send, stored with the schedule while it sends them. Until
 * `deadline` (a lease the owner renews before each send) nobody else touches them; after it,
 * any scheduler may take over what is left.
 */
export interface Claim {
  owner: string;
  deadline: number;
  ticks: PlannedTick[];
}

export function parseClaim(text: string | undefined): Claim | undefined {
  if (text === undefined) return undefined;
  try {
    const claim = JSON.parse(text) as Claim;
    if (
      typeof claim.owner === "string" &&
      typeof claim.deadline === "number" &&
      Array.isArray(claim.ticks)
    )
      return claim;
  } catch {
    // fall through: an unreadable claim is treated as expired and replaced
  }
  return { owner: "?", deadline: 0, ticks: [] };
}
