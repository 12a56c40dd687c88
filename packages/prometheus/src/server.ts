import { createServer, type Server } from "node:http";
import { InvalidArgument } from "@taskq/core";

/** Where /metrics is served. */
export interface ExpositionOptions {
  /** Default: `TASKQ_PROM_HOST`, else `0.0.0.0`. */
  host?: string;
  /** Default: `TASKQ_PROM_PORT`, else 9191. */
  port?: number;
}

export function resolveAddress(options: ExpositionOptions): { host: string; port: number } {
  const host = options.host ?? process.env.TASKQ_PROM_HOST ?? "0.0.0.0";
  const port = options.port ?? Number(process.env.TASKQ_PROM_PORT ?? 9191);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new InvalidArgument(
      `Prometheus port must be an integer from 0 to 65535, got ${String(options.port ?? process.env.TASKQ_PROM_PORT)}`,
    );
  }
  return { host, port };
}

/** The exposition server could not listen (the port is taken, say): one line says why. */
export class ExpositionError extends Error {
  override name = "ExpositionError";
}

function listenError(address: { host: string; port: number }, err: NodeJS.ErrnoException): Error {
  const where = `http://${address.host}:${address.port}/metrics`;
  const why =
    err.code === "EADDRINUSE"
      ? `port ${address.port} is already in use (another taskq, or another program, listens there; set TASKQ_PROM_PORT or the port option to a free one)`
      : err.code === "EACCES"
        ? `no permission to listen on port ${address.port}`
        : err.code === "EADDRNOTAVAIL"
          ? `${address.host} is not an address of this machine (TASKQ_PROM_HOST or the host option)`
          : err.message;
  return new ExpositionError(`Could not serve metrics at ${where}: ${why}.`, { cause: err });
}

/**
 * Serve `GET /metrics` (text format) on host:port; resolves once listening, rejects with an
 * ExpositionError naming the address when it cannot listen.
 */
export async function serveMetrics(
  address: { host: string; port: number },
  render: () => Promise<{ contentType: string; body: string }>,
): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
      res
        .writeHead(404, { "content-type": "text/plain" })
        .end("Not found: metrics are at /metrics\n");
      return;
    }
    render().then(
      ({ contentType, body }) => res.writeHead(200, { "content-type": contentType }).end(body),
      (err: unknown) =>
        res
          .writeHead(500, { "content-type": "text/plain" })
          .end(`Could not gather metrics: ${String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => reject(listenError(address, err)));
    server.listen(address.port, address.host, () => {
      server.removeAllListeners("error");
      resolve();
    });
  });
  return server;
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
