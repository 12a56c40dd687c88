import type { MainProcessContext, MainProcessHandle } from "@taskq/core";
import { getLogger } from "@taskq/core";
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from "prom-client";
import { closeServer, serveMetrics } from "./server.js";

export const METRICS_TOPIC = "taskq.prometheus.metrics";

/**
 * Runs in the taskq CLI's main process: one /metrics for the whole fleet. Each scrape asks
 * every worker process for its metrics and serves their sum.
 */
export async function startInMainProcess(context: MainProcessContext): Promise<MainProcessHandle> {
  const { host, port } = context.options as { host: string; port: number };
  const server = await serveMetrics({ host, port }, async () => {
    const answers = (await context.ask(METRICS_TOPIC)) as MetricObjectWithValues<
      MetricValue<string>
    >[][];
    const registry = AggregatorRegistry.aggregate(answers);
    return { contentType: registry.contentType, body: await registry.metrics() };
  });
  getLogger("taskq.prometheus").info(
    `Serving the metrics of every worker process at http://${host}:${port}/metrics`,
  );
  return { close: () => closeServer(server) };
}
