import type { MainProcessContext, MainProcessHandle } from "@taskq/core";
import { getLogger } from "@taskq/core";
import { FleetMetrics } from "./fleet.js";
import { closeServer, ExpositionError, serveMetrics } from "./server.js";

export const METRICS_TOPIC = "taskq.prometheus.metrics";
/**
 * How often the main process asks for the workers' metrics between scrapes: a process
 * killed outright takes at most this much of its counts with it.
 */
const REFRESH_INTERVAL = 5000;

/**
 * Runs in the taskq CLI's main process: one /metrics for the whole fleet. Each scrape (and
 * a refresh every few seconds) asks every worker process for its metrics; the counts of
 * worker processes that died or were replaced stay in the sum.
 */
export async function startInMainProcess(context: MainProcessContext): Promise<MainProcessHandle> {
  const log = getLogger("taskq.prometheus");
  const { host, port } = context.options as { host: string; port: number };
  const fleet = new FleetMetrics();
  const refresh = async () => fleet.update(await context.ask(METRICS_TOPIC));
  let server: Awaited<ReturnType<typeof serveMetrics>>;
  try {
    server = await serveMetrics({ host, port }, async () => {
      await refresh();
      return fleet.render();
    });
  } catch (err) {
    // Workers go on without metrics: one line says why, not a stack.
    if (!(err instanceof ExpositionError)) throw err;
    log.error(err.message);
    return { close: async () => {} };
  }
  const timer = setInterval(() => {
    refresh().catch((err: unknown) => log.error({ err }, "Could not gather the workers' metrics."));
  }, REFRESH_INTERVAL);
  timer.unref();
  log.info(`Serving the metrics of every worker process at http://${host}:${port}/metrics`);
  return {
    close: async () => {
      clearInterval(timer);
      await closeServer(server);
    },
  };
}
