import { createServer, type Server } from "node:http";

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
    throw new TypeError(
      `Prometheus port must be an integer from 0 to 65535, got ${String(options.port ?? process.env.TASKQ_PROM_PORT)}`,
    );
  }
  return { host, port };
}

/** Serve `GET /metrics` (text format) on host:port; resolves once listening. */
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
    server.once("error", reject);
    server.listen(address.port, address.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
