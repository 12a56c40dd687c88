import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findBinary, freePort, waitForPort } from "./process.js";

export interface RabbitmqServer {
  readonly host: string;
  readonly port: number;
  /** `amqp://guest:guest@127.0.0.1:<port>` */
  readonly url: string;
  /** Stop gracefully; the data directory stays until `destroy`. */
  stop(): Promise<void>;
  /** Start again on the same ports and data (durable queues and persistent messages survive). */
  restart(): Promise<void>;
  /** Kill the node outright (SIGKILL, as a crash or power loss would); `restart` brings it back. */
  kill(): Promise<void>;
  /** Stop and remove the data directory. */
  destroy(): Promise<void>;
  /** The node's name (`taskq<port>@localhost`), for `rabbitmqctl -n`. */
  readonly nodeName: string;
  /** Run `rabbitmqctl <args>` against this node; rejects with its output if it fails. */
  ctl(...args: string[]): Promise<string>;
}

const HINT = "install Debian's rabbitmq-server package (scripts/ensure-servers.sh does it)";

/** How a node is started; the defaults make a standalone node. */
export interface RabbitmqNodeOptions {
  /** epmd port shared by nodes that must find each other (default: a free port of its own). */
  epmdPort?: number;
  /** Erlang cookie shared by a cluster's nodes (default: one made up by the node). */
  cookie?: string;
}

/**
 * Start a private RabbitMQ node: its own node name, AMQP, distribution and epmd ports, data
 * and log directories, and no plugins. Ready once it answers the AMQP handshake.
 */
export async function startRabbitmq(options: RabbitmqNodeOptions = {}): Promise<RabbitmqServer> {
  // The Debian wrapper in /usr/sbin switches to the rabbitmq user; the real script does not.
  const binary = findBinary("rabbitmq-server", HINT).replace(
    /^\/usr\/sbin\//,
    "/usr/lib/rabbitmq/bin/",
  );
  const dir = mkdtempSync(join(tmpdir(), "taskq-rabbitmq-"));
  writeFileSync(join(dir, "enabled_plugins"), "[].\n");
  if (options.cookie !== undefined) {
    writeFileSync(join(dir, ".erlang.cookie"), options.cookie, { mode: 0o400 });
  }
  // A shared epmd belongs to whoever started the cluster: stopping one node leaves it running.
  const ownEpmd = options.epmdPort === undefined;
  const [port, distPort, epmdPort] = [
    await freePort(),
    await freePort(),
    options.epmdPort ?? (await freePort()),
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: dir,
    RABBITMQ_NODENAME: `taskq${port}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: "127.0.0.1",
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_MNESIA_BASE: join(dir, "mnesia"),
    RABBITMQ_LOG_BASE: join(dir, "log"),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, "enabled_plugins"),
    RABBITMQ_PID_FILE: join(dir, "pid"),
    RABBITMQ_CONFIG_FILE: join(dir, "rabbitmq"),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, "advanced.config"),
    RABBITMQ_CONF_ENV_FILE: join(dir, "rabbitmq-env.conf"),
  };
  let child: ChildProcess | undefined;
  let output = "";
  const launch = async () => {
    output = "";
    const spawned = spawn(binary, [], {
      env,
      cwd: dir,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = spawned;
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8000);
    };
    spawned.stdout?.on("data", keep);
    spawned.stderr?.on("data", keep);
    try {
      await waitForPort(port, 60_000, spawned, amqpHandshake);
    } catch (err) {
      throw new Error(`rabbitmq-server did not start: ${(err as Error).message}\n${output}`);
    }
  };
  const halt = async (signal: NodeJS.Signals = "SIGTERM") => {
    const proc = child;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    // The script and the Erlang VM share a process group: signal both.
    try {
      process.kill(-proc.pid!, signal);
    } catch {}
    const killer = setTimeout(() => {
      try {
        process.kill(-proc.pid!, "SIGKILL");
      } catch {}
    }, 20_000);
    await exited;
    clearTimeout(killer);
    if (ownEpmd) spawnSync("epmd", ["-kill"], { env, stdio: "ignore" });
  };
  await launch();
  const nodeName = env.RABBITMQ_NODENAME!;
  return {
    host: "127.0.0.1",
    port,
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    stop: () => halt(),
    restart: launch,
    kill: () => halt("SIGKILL"),
    nodeName,
    ctl: (...args) => rabbitmqctl(binary, env, dir, ["-n", nodeName, ...args]),
    async destroy() {
      await halt();
      // SIGKILLed nodes can leave their Erlang port programs behind in the group.
      try {
        if (child?.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {}
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** rabbitmqctl beside the server script, with the node's environment (epmd port, cookie). */
export function rabbitmqctl(
  serverBinary: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
  args: string[],
): Promise<string> {
  const ctl = join(serverBinary, "..", "rabbitmqctl");
  return new Promise((resolve, reject) => {
    execFile(ctl, args, { env, cwd, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err)
        reject(
          new Error(`rabbitmqctl ${args.join(" ")} failed: ${err.message}\n${stdout}${stderr}`),
        );
      else resolve(stdout);
    });
  });
}

/** The server answers the AMQP 0-9-1 protocol header with a method frame (type 1). */
function amqpHandshake(socket: Socket): Promise<boolean> {
  return new Promise((resolve) => {
    socket.once("data", (data) => resolve(data[0] === 1));
    socket.write(Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]));
  });
}
