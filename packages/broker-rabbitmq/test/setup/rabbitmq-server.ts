import { startRabbitmq } from "@taskq/test-servers";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** The same node, vhost `quorum`: the quorum-queue suites declare the shared suites' queue names there without clashing with the classic ones. */
    amqpQuorumUrl: string;
  }
}

/** One private RabbitMQ node for the run (see @taskq/test-servers), with a second vhost. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startRabbitmq();
  try {
    await server.ctl("add_vhost", "quorum");
    await server.ctl("set_permissions", "-p", "quorum", "guest", ".*", ".*", ".*");
  } catch (err) {
    await server.destroy();
    throw err;
  }
  project.provide("amqpUrl", server.url);
  project.provide("amqpQuorumUrl", `${server.url}/quorum`);
  return () => server.destroy();
}
