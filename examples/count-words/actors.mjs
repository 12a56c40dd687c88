// The actor of the Dramatiq user guide: fetch a page and count its space-separated words.
// This module is what `taskq actors.mjs` loads: it sets the broker and declares the actor.
import "./broker.mjs";
import { actor, getAbortSignal } from "@taskq/core";

export const countWords = actor(
  async (url) => {
    const response = await fetch(url, { signal: getAbortSignal() });
    if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
    const count = (await response.text()).split(" ").length;
    console.log(`There are ${count} words at ${url}.`);
    return count;
  },
  {
    actorName: "count_words",
    maxRetries: 3,
    minBackoff: 100,
    timeLimit: 10_000,
    storeResults: true,
  },
);
