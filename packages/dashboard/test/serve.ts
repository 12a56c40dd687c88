import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createDashboard, type DashboardOptions } from "../src/index.js";

/** A dashboard on a real loopback server; `call` sends requests to it. */
export interface Served {
  base: string;
  call(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export async function serve(options: DashboardOptions): Promise<Served> {
  const handler = createDashboard(options);
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    call: (path, init) => fetch(`${base}${path}`, init),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A POST as a script sends it: JSON body and the `x-taskq-dashboard: 1` header. */
export function scriptPost(body?: unknown): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/json", "x-taskq-dashboard": "1" },
    body: body === undefined ? undefined : JSON.stringify(body),
  };
}
