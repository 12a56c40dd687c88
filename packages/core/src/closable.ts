/**
 * Close `resource` when it has a `close()` method, as backends that open their own
 * connections do (and leave a client they were given open). Backends are duck-typed: a
 * base-class `close()` would oblige every backend package to mark theirs `override`.
 */
export async function closeResource(resource: unknown): Promise<void> {
  const close = (resource as { close?: unknown } | null | undefined)?.close;
  if (typeof close === "function") await (close as () => unknown).call(resource);
}
