import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { Broker, MainProcessModule, Message, MessageProxy } from "@taskq/core";
import { defineOption, lazyLogger, Middleware, qName } from "@taskq/core";
import { Registry } from "prom-client";
import type { ProcessMetrics } from "./fleet.js";
import { METRICS_TOPIC } from "./main-process.js";
import type { Children, Metrics } from "./metrics.js";
import { childrenFor, createMetrics } from "./metrics.js";
import type { ExpositionOptions } from "./server.js";
import { closeServer, ExpositionError, resolveAddress, serveMetrics } from "./server.js";

declare module "@taskq/core" {
  interface ActorOnlyOptions {
    /** The `actor_name` label of this actor's metrics (to bound cardinality). */
    prometheusLabel?: string;
  }
}

defineOption("prometheusLabel", undefined, (v) =>
  typeof v === "string" && v.length > 0 ? undefined : "a non-empty string",
);

/** Options of `new Prometheus()`. */
export interface PrometheusOptions extends ExpositionOptions {
  /**
   * Serve /metrics from this process. Default: yes, unless running under the taskq CLI, whose
   * main process serves the sum over every worker process instead.
   */
  serve?: boolean;
  /** The registry to record into. Default: one of its own. */
  registry?: Registry;
}

const STARTED = Symbol("taskq.prometheus.started");
const CHILDREN = Symbol("taskq.prometheus.children");
/** Kept on the message while it is processed: labels resolve once, not in every hook. */
type Tracked = MessageProxy & { [STARTED]?: number; [CHILDREN]?: Children };

const log = lazyLogger("taskq.prometheus");

/**
 * Records message metrics labelled `queue_name` and `actor_name`: processed, errored, retried
 * and dead-lettered counts, messages (and delayed messages) in progress, processing time and
 * time in queue. Under the taskq CLI the main process serves one /metrics summed over all
 * worker processes; alone, this process serves its own.
 */
export class Prometheus extends Middleware {
  /** The prom-client registry the metrics are recorded into. */
  readonly registry: Registry;
  private readonly metrics: Metrics;
  private readonly children = new Map<string, Children>();
  private readonly labels = new Map<string, string>();
  private readonly delayed = new Set<string>();
  private readonly address: { host: string; port: number };
  private readonly underCli: boolean;
  private readonly serve: boolean;
  private server: Server | undefined;
  private workers = 0;
  /** Who answers the main process: this process, told apart from a later one with its pid. */
  private readonly processId = randomUUID();
  private answers = 0;

  constructor(options: PrometheusOptions = {}) {
    super();
    this.registry = options.registry ?? new Registry();
    this.metrics = createMetrics(this.registry);
    this.address = resolveAddress(options);
    this.underCli = process.env.TASKQ_CLI_ROLE === "worker" && typeof process.send === "function";
    this.serve = options.serve ?? !this.underCli;
  }

  override get actorOptions(): readonly string[] {
    return ["prometheusLabel"];
  }

  override get mainProcessModule(): MainProcessModule | undefined {
    if (!this.underCli) return undefined;
    return { url: new URL("./main-process.js", import.meta.url).href, options: this.address };
  }

  override async answerMainProcess(topic: string): Promise<ProcessMetrics | undefined> {
    if (topic !== METRICS_TOPIC) return undefined;
    const seq = ++this.answers;
    const metrics = (await this.registry.getMetricsAsJSON()) as ProcessMetrics["metrics"];
    return { id: this.processId, pid: process.pid, seq, metrics };
  }

  /** The message's labelled children, resolved at most once per message. */
  private forMessage(broker: Broker, message: MessageProxy): Children {
    const tracked = message as Tracked;
    tracked[CHILDREN] ??= this.of(broker, message.queueName, message.actorName);
    return tracked[CHILDREN];
  }

  private of(broker: Broker, queueName: string, actorName: string): Children {
    let label = this.labels.get(actorName);
    if (label === undefined) {
      label = broker.findActor(actorName)?.options.prometheusLabel ?? actorName;
      this.labels.set(actorName, label);
    }
    const q = qName(queueName);
    const key = `${q}\u0000${label}`;
    let children = this.children.get(key);
    if (children === undefined) {
      children = childrenFor(this.metrics, q, label);
      this.children.set(key, children);
    }
    return children;
  }

  override beforeDelayMessage(broker: Broker, message: MessageProxy): void {
    this.delayed.add(message.messageId);
    this.forMessage(broker, message).delayedInProgress.inc();
  }

  /** A delayed message this process held has moved to its queue. */
  override afterEnqueue(broker: Broker, message: Message): void {
    if (message.queueName.endsWith(".DQ") || !this.delayed.delete(message.messageId)) return;
    this.of(broker, message.queueName, message.actorName).delayedInProgress.dec();
  }

  override beforeProcessMessage(broker: Broker, message: MessageProxy): void {
    const now = Date.now();
    (message as Tracked)[STARTED] = now;
    const children = this.forMessage(broker, message);
    children.inProgress.inc();
    const { options } = message;
    const due = Math.max(
      message.messageTimestamp,
      typeof options.requeue_timestamp === "number" ? options.requeue_timestamp : 0,
      typeof options.eta === "number" ? options.eta : 0,
    );
    children.queueTime.observe(Math.max(0, now - due));
  }

  override afterProcessMessage(
    broker: Broker,
    message: MessageProxy,
    outcome: { exception?: unknown },
  ): void {
    const children = this.forMessage(broker, message);
    const started = (message as Tracked)[STARTED];
    if (started !== undefined) {
      children.duration.observe(Date.now() - started);
      children.inProgress.dec();
    }
    children.total.inc();
    if ("exception" in outcome) children.errors.inc();
  }

  override afterSkipMessage(broker: Broker, message: MessageProxy): void {
    this.afterProcessMessage(broker, message, {});
  }

  /** A failed attempt that is acked was handed on to a retry. */
  override afterAck(broker: Broker, message: MessageProxy): void {
    if (message.exception !== undefined) this.forMessage(broker, message).retries.inc();
  }

  override afterNack(broker: Broker, message: MessageProxy): void {
    this.forMessage(broker, message).rejects.inc();
  }

  override async afterWorkerBoot(): Promise<void> {
    this.workers++;
    if (!this.serve || this.server !== undefined) return;
    try {
      this.server = await serveMetrics(this.address, async () => ({
        contentType: this.registry.contentType,
        body: await this.registry.metrics(),
      }));
    } catch (err) {
      // The worker goes on without /metrics: one line says why, not a stack.
      if (!(err instanceof ExpositionError)) throw err;
      log.error(err.message);
      return;
    }
    log.info(`Serving metrics at http://${this.address.host}:${this.address.port}/metrics`);
  }

  override async afterWorkerShutdown(): Promise<void> {
    // Delayed messages given back on stop leave without being moved: stop counting them.
    this.delayed.clear();
    for (const children of this.children.values()) children.delayedInProgress.set(0);
    if (--this.workers === 0) await this.close();
  }

  /** Stop serving metrics (if this process was). */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await closeServer(server);
  }
}
