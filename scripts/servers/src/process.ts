import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { createServer, Socket } from "node:net";
import { delimiter, join } from "node:path";

/** Full path of an executable on PATH (or in sbin dirs Debian uses), or a clear error. */
export function findBinary(name: string, installHint: string): string {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/usr/lib/rabbitmq/bin"];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  throw new Error(`${name} is not installed; ${installHint}`);
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === "object" && address !== null) resolve(address.port);
        else reject(new Error("could not get a free port"));
      });
    });
  });
}

/** Resolve once `port` accepts TCP connections and `probe` says the server is ready. */
export async function waitForPort(
  port: number,
  timeout: number,
  child: ChildProcess,
  probe?: (socket: Socket) => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`server exited with code ${child.exitCode} before it was ready`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      const done = (value: boolean) => {
        socket.destroy();
        resolve(value);
      };
      socket.setTimeout(1000, () => done(false));
      socket.once("error", () => done(false));
      socket.connect(port, "127.0.0.1", () => {
        if (probe === undefined) done(true);
        else probe(socket).then(done, () => done(false));
      });
    });
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`server on port ${port} not ready after ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Spawn a server; its output is kept for error messages. */
export function spawnServer(
  command: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): { child: ChildProcess; output: () => string } {
  const child = spawn(command, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: env ?? process.env,
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return { child, output: () => output };
}

/** Signal a child and wait for it to exit. */
export function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals,
  timeout = 10_000,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
    }, timeout);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}
