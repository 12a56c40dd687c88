import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findBinary, freePort, spawnServer, stopChild, waitForPort } from "./process.js";

export interface RedisServerOptions {
  /** Persist every write before replying (AOF, fsync always): for crash and restart tests. */
  durable?: boolean;
}

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /** Stop gracefully. */
  stop(): Promise<void>;
  /** Kill -9: a crash, as far as clients and data are concerned. */
  crash(): Promise<void>;
  /** Start again on the same port and data directory (after stop or crash). */
  restart(): Promise<void>;
}

const HINT = "install Debian's redis-server package (scripts/ensure-servers.sh does it)";

/** Start a private redis-server on a free loopback port, with its own data directory. */
export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = findBinary("redis-server", HINT);
  const dir = mkdtempSync(join(tmpdir(), "taskq-redis-"));
  const port = await freePort();
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--protected-mode",
    "no",
    ...(options.durable
      ? ["--appendonly", "yes", "--appendfsync", "always"]
      : ["--appendonly", "no"]),
  ];
  let child: ChildProcess | undefined;
  const launch = async () => {
    const spawned = spawnServer(binary, args);
    child = spawned.child;
    try {
      await waitForPort(port, 15_000, spawned.child, (socket) => pingRedis(socket));
    } catch (err) {
      throw new Error(`redis-server did not start: ${(err as Error).message}\n${spawned.output()}`);
    }
  };
  await launch();
  return {
    host: "127.0.0.1",
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child) await stopChild(child, "SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
    async crash() {
      if (child) await stopChild(child, "SIGKILL");
    },
    async restart() {
      await launch();
    },
  };
}

function pingRedis(socket: import("node:net").Socket): Promise<boolean> {
  return new Promise((resolve) => {
    socket.once("data", (data) => resolve(data.toString().startsWith("+PONG")));
    socket.write("PING\r\n");
  });
}
