import type { TestProject } from "vitest/node";
import { startMemcached } from "./memcached.js";
import { startRabbitmq } from "./rabbitmq.js";
import { startRedis } from "./redis.js";

// Re-exporting from the module makes it known here, so the augmentation below applies.
export type { ProvidedContext } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
    amqpUrl: string;
    memcachedServers: string;
  }
}

/**
 * vitest globalSetup functions: one private server for a package's whole test run, its
 * address given to the tests (`inject("redisUrl")`, ...), stopped after.
 */
export async function redisSetup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startRedis();
  project.provide("redisUrl", server.url);
  return () => server.stop();
}

export async function rabbitmqSetup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startRabbitmq();
  project.provide("amqpUrl", server.url);
  return () => server.destroy();
}

export async function memcachedSetup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startMemcached();
  project.provide("memcachedServers", server.servers);
  return () => server.stop();
}
