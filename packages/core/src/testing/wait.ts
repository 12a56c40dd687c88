/** Resolve after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll until `check` holds; throw naming `what` after `timeout` ms (default 10 s). */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  options: { timeout?: number; what?: string } = {},
): Promise<void> {
  const { timeout = 10_000, what = "the condition" } = options;
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeout} ms waiting until ${what}`);
    await sleep(10);
  }
}

/** A promise with its resolve exposed: lets a test hold an actor until it says so. */
export function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    open = r;
  });
  return { promise, open };
}
