import { waitUntil } from "../src/testing/index.js";

export type { CapturedLog as Captured } from "../src/testing/index.js";
export { captureLogs, gate, sleep } from "../src/testing/index.js";

/** Poll until `check` holds; fail after `timeout` ms. */
export function eventually(
  check: () => boolean | Promise<boolean>,
  timeout = 5000,
  what = "condition",
): Promise<void> {
  return waitUntil(check, { timeout, what });
}
