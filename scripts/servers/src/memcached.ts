import type { ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import { findBinary, freePort, spawnServer, stopChild, waitForPort } from "./process.js";

export interface MemcachedServer {
  readonly host: string;
  readonly port: number;
  /** `127.0.0.1:<port>`, as memjs takes it. */
  readonly servers: string;
  stop(): Promise<void>;
}

const HINT = "install Debian's memcached package (scripts/ensure-servers.sh does it)";

/** Start a private memcached on a free loopback port (TCP only, 64 MB). */
export async function startMemcached(): Promise<MemcachedServer> {
  const binary = findBinary("memcached", HINT);
  const port = await freePort();
  const args = ["-l", "127.0.0.1", "-p", String(port), "-U", "0", "-m", "64"];
  // memcached refuses to run as root unless told which user to be.
  if (process.getuid?.() === 0) args.push("-u", "root");
  const spawned = spawnServer(binary, args);
  const child: ChildProcess = spawned.child;
  try {
    await waitForPort(port, 15_000, child, versionProbe);
  } catch (err) {
    throw new Error(`memcached did not start: ${(err as Error).message}\n${spawned.output()}`);
  }
  return {
    host: "127.0.0.1",
    port,
    servers: `127.0.0.1:${port}`,
    stop: () => stopChild(child, "SIGTERM"),
  };
}

function versionProbe(socket: Socket): Promise<boolean> {
  return new Promise((resolve) => {
    socket.once("data", (data) => resolve(data.toString().startsWith("VERSION")));
    socket.write("version\r\n");
  });
}
