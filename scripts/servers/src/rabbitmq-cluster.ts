import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { freePort } from "./process.js";
import { type RabbitmqServer, startRabbitmq } from "./rabbitmq.js";

export interface RabbitmqCluster {
  /** The nodes, first the one the others joined. */
  readonly nodes: readonly RabbitmqServer[];
  /** Every node's AMQP URL, in node order (a client's failover list). */
  readonly urls: readonly string[];
  /** Stop every node, remove their data and stop the cluster's epmd. */
  destroy(): Promise<void>;
}

/**
 * Start `size` RabbitMQ nodes on loopback (own node names, ports and data directories; one
 * epmd and one cookie between them) and join them into one cluster with
 * `rabbitmqctl join_cluster`. Takes tens of seconds: each node boots an Erlang VM.
 */
export async function startRabbitmqCluster(size = 3): Promise<RabbitmqCluster> {
  const epmdPort = await freePort();
  const cookie = randomBytes(16).toString("hex").toUpperCase();
  const nodes: RabbitmqServer[] = [];
  const destroy = async () => {
    for (const node of nodes.reverse()) await node.destroy().catch(() => {});
    spawnSync("epmd", ["-kill"], {
      env: { ...process.env, ERL_EPMD_PORT: String(epmdPort) },
      stdio: "ignore",
    });
  };
  try {
    // One at a time: booting three VMs at once on a small machine only makes each slower.
    for (let i = 0; i < size; i++) nodes.push(await startRabbitmq({ epmdPort, cookie }));
    const [first, ...rest] = nodes;
    for (const node of rest) {
      await node.ctl("stop_app");
      await node.ctl("join_cluster", first!.nodeName);
      await node.ctl("start_app");
    }
    const status = await first!.ctl("cluster_status");
    for (const node of nodes) {
      if (!status.includes(node.nodeName)) {
        throw new Error(`${node.nodeName} is not in the cluster:\n${status}`);
      }
    }
  } catch (err) {
    await destroy();
    throw err;
  }
  return { nodes: [...nodes], urls: nodes.map((n) => n.url), destroy };
}
