import { startRabbitmq } from "@taskq/test-servers";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    amqpUrl: string;
  }
}

/** One private RabbitMQ node for the run, on free loopback ports; tests use queue names of their own. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startRabbitmq();
  project.provide("amqpUrl", server.url);
  return () => server.destroy();
}
