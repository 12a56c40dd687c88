import { startMemcached } from "@taskq/test-servers";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    memcachedServers: string;
  }
}

/** One private memcached for the run, on a free loopback port; tests use namespaces of their own. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startMemcached();
  project.provide("memcachedServers", server.servers);
  return () => server.stop();
}
