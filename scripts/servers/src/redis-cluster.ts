import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findBinary, freePort, spawnServer, stopChild, waitForPort } from "./process.js";

export interface RedisClusterOptions {
  /** Master nodes (each owns a third of the slots with 3). Default 3. */
  masters?: number;
  /** Replicas per master: 1 for failover tests (6 nodes with 3 masters). Default 0. */
  replicasPerMaster?: 0 | 1;
}

export interface RedisClusterNode {
  readonly host: string;
  readonly port: number;
}

export interface RedisCluster {
  /** Every node, masters first as `redis-cli --cluster create` assigned them. */
  readonly nodes: readonly RedisClusterNode[];
  /** Where a cluster client starts: every node. */
  readonly startupNodes: readonly RedisClusterNode[];
  /**
   * SIGKILL the node that is master number `index` (0-based, in the order of `masters()`, read
   * at call time); resolves to the killed node. Its replica takes over by itself after
   * `cluster-node-timeout`.
   */
  killMaster(index: number): Promise<RedisClusterNode>;
  /** The nodes that are masters now, by their first slot (the order slots were assigned). */
  masters(): Promise<RedisClusterNode[]>;
  /**
   * Resolve once a replica has taken over the slots of the killed master `killed` and every
   * live node reports `cluster_state:ok`; fail after `timeout` ms.
   */
  waitFailover(killed: RedisClusterNode, timeout?: number): Promise<void>;
  /**
   * Start a killed node again on its port and cluster config: an old master comes back as a
   * replica of the one that took over. Resolves once it is linked to its master.
   */
  restartNode(node: RedisClusterNode): Promise<void>;
  /** Resolve once every live node reports `cluster_state:ok`, or fail after `timeout` ms. */
  waitHealthy(timeout?: number): Promise<void>;
  /** Kill every node and remove their directories. */
  destroy(): Promise<void>;
}

const HINT = "install Debian's redis-server package (scripts/ensure-servers.sh does it)";
/** Short, so that a failover test waits seconds, not the default 15. */
const NODE_TIMEOUT = 1000;

/** Run redis-cli with a bounded time; resolves to its stdout. */
function cli(args: string[], timeout = 20_000): Promise<string> {
  const binary = findBinary("redis-cli", HINT);
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeout);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`redis-cli ${args.join(" ")} exited with ${code}: ${err}${out}`));
    });
  });
}

/**
 * Start a Redis Cluster on loopback: `masters * (1 + replicasPerMaster)` redis-servers with
 * `--cluster-enabled yes` in temp dirs, joined by `redis-cli --cluster create`; resolves once
 * every node reports `cluster_state:ok`. Takes a few seconds.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 0;
  const binary = findBinary("redis-server", HINT);
  const dir = mkdtempSync(join(tmpdir(), "taskq-redis-cluster-"));
  const nodes: { host: string; port: number; child: ChildProcess; args: string[] }[] = [];
  // A test process that ends without destroy() (a timeout, process.exit) takes its nodes along.
  const killAll = () => {
    for (const n of nodes) n.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", killAll);
  const destroy = async () => {
    process.off("exit", killAll);
    await Promise.all(nodes.map((n) => stopChild(n.child, "SIGKILL")));
    rmSync(dir, { recursive: true, force: true });
  };
  const info = async (port: number) =>
    cli(["-h", "127.0.0.1", "-p", String(port), "cluster", "info"], 5000);
  const alive = () => nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null);
  const waitHealthy = async (timeout = 30_000) => {
    const deadline = Date.now() + timeout;
    let last = "";
    for (;;) {
      const states = await Promise.all(
        alive().map((n) => info(n.port).catch((e: Error) => e.message)),
      );
      if (states.every((s) => s.includes("cluster_state:ok"))) return;
      last = states.join("\n");
      if (Date.now() > deadline)
        throw new Error(`Redis Cluster not ok after ${timeout} ms:\n${last}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const mastersNow = async (): Promise<RedisClusterNode[]> => {
    const live = alive();
    for (const n of live) {
      try {
        const text = await cli(["-h", "127.0.0.1", "-p", String(n.port), "cluster", "nodes"], 5000);
        const found: [number, RedisClusterNode][] = [];
        for (const line of text.trim().split("\n")) {
          const parts = line.split(" ");
          const flags = parts[2] ?? "";
          if (!flags.includes("master") || flags.includes("fail")) continue;
          const port = Number((parts[1] ?? "").split(/[:@]/)[1]);
          const firstSlot = Number((parts[8] ?? "").split("-")[0]);
          if (parts[8] !== undefined && Number.isFinite(firstSlot))
            found.push([firstSlot, { host: "127.0.0.1", port }]);
        }
        return found.sort((a, b) => a[0] - b[0]).map(([, node]) => node);
      } catch {
        // Ask the next node.
      }
    }
    throw new Error("no live Redis Cluster node answered CLUSTER NODES");
  };
  try {
    const count = masters * (1 + replicas);
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      const args = [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--dbfilename",
        `dump-${port}.rdb`,
        "--save",
        "",
        "--appendonly",
        "no",
        "--protected-mode",
        "no",
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        join(dir, `nodes-${port}.conf`),
        "--cluster-node-timeout",
        String(NODE_TIMEOUT),
      ];
      const spawned = spawnServer(binary, args);
      nodes.push({ host: "127.0.0.1", port, child: spawned.child, args });
      try {
        await waitForPort(port, 15_000, spawned.child);
      } catch (err) {
        throw new Error(
          `redis-server did not start: ${(err as Error).message}\n${spawned.output()}`,
        );
      }
    }
    await cli([
      "--cluster",
      "create",
      ...nodes.map((n) => `127.0.0.1:${n.port}`),
      "--cluster-replicas",
      String(replicas),
      "--cluster-yes",
    ]);
    await waitHealthy();
    if (replicas > 0)
      await waitReplicasLinked(
        nodes.map((n) => n.port),
        masters,
      );
  } catch (err) {
    await destroy();
    throw err;
  }
  const plain = nodes.map(({ host, port }) => ({ host, port }));
  return {
    nodes: plain,
    startupNodes: plain,
    masters: mastersNow,
    waitHealthy,
    async waitFailover(killed, timeout = 30_000) {
      const deadline = Date.now() + timeout;
      for (;;) {
        const now = await mastersNow().catch(() => []);
        if (now.length === masters && !now.some((m) => m.port === killed.port)) break;
        if (Date.now() > deadline)
          throw new Error(
            `no replica took over from 127.0.0.1:${killed.port} within ${timeout} ms`,
          );
        await new Promise((r) => setTimeout(r, 100));
      }
      await waitHealthy(Math.max(1000, deadline - Date.now()));
    },
    async restartNode(target) {
      const node = nodes.find((n) => n.port === target.port);
      if (node === undefined) throw new Error(`no node on port ${target.port}`);
      const spawned = spawnServer(binary, node.args);
      node.child = spawned.child;
      try {
        await waitForPort(node.port, 15_000, spawned.child);
      } catch (err) {
        throw new Error(
          `redis-server did not restart: ${(err as Error).message}\n${spawned.output()}`,
        );
      }
      await waitReplicasLinked([node.port], 1);
      await waitHealthy();
    },
    async killMaster(index) {
      const target = (await mastersNow())[index];
      if (target === undefined) throw new Error(`no master number ${index}`);
      const node = nodes.find((n) => n.port === target.port)!;
      await stopChild(node.child, "SIGKILL");
      return target;
    },
    destroy,
  };
}

/** Wait until `masters` replicas report their master link up (replication has begun). */
async function waitReplicasLinked(ports: number[], masters: number, timeout = 30_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const roles = await Promise.all(
      ports.map((p) =>
        cli(["-h", "127.0.0.1", "-p", String(p), "info", "replication"], 5000).catch(() => ""),
      ),
    );
    const linked = roles.filter((r) => r.includes("master_link_status:up")).length;
    if (linked >= masters) return;
    if (Date.now() > deadline)
      throw new Error(`Redis Cluster replicas not linked after ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

declare module "vitest" {
  export interface ProvidedContext {
    /** JSON of the run's Redis Cluster startup nodes, or "" when cluster tests are off. */
    redisClusterNodes: string;
  }
}

/** Whether the opt-in Redis Cluster tests run (`TASKQ_REDIS_CLUSTER=1`). */
export const REDIS_CLUSTER_TESTS = process.env.TASKQ_REDIS_CLUSTER === "1";

/**
 * vitest globalSetup: with `TASKQ_REDIS_CLUSTER=1`, one 3-master Redis Cluster for the
 * package's run (`inject("redisClusterNodes")`), destroyed after; otherwise nothing starts.
 */
export async function redisClusterSetup(project: {
  provide: (key: "redisClusterNodes", value: string) => void;
}): Promise<() => Promise<void>> {
  if (!REDIS_CLUSTER_TESTS) {
    project.provide("redisClusterNodes", "");
    return async () => {};
  }
  const cluster = await startRedisCluster({ masters: 3 });
  project.provide("redisClusterNodes", JSON.stringify(cluster.startupNodes));
  return () => cluster.destroy();
}
