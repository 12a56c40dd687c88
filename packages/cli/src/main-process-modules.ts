import type { ChildProcess } from "node:child_process";
import type { Logger, MainProcessContext, MainProcessHandle, MainProcessModule } from "@taskq/core";
import type { MainRequest } from "./worker-process.js";

const ASK_TIMEOUT = 5000;

interface Pending {
  answers: unknown[];
  waiting: Set<ChildProcess>;
  done: () => void;
}

/**
 * Modules the workers' middleware ask to run in the main process (see
 * `Middleware.mainProcessModule`): loaded once each, given a way to ask every ready worker
 * process a question and gather the answers. The answers to a topic also include, once,
 * the last answers of worker processes that stopped since (sent as they stopped), so what
 * a replaced process knew reaches the module.
 */
export class MainProcessModules {
  private readonly loaded = new Map<string, Promise<MainProcessHandle | undefined>>();
  private readonly pending = new Map<number, Pending>();
  private readonly finals = new Map<string, unknown[]>();
  private nextId = 0;
  private readonly workers: () => ChildProcess[];
  private readonly log: Logger;

  constructor(workers: () => ChildProcess[], log: Logger) {
    this.workers = workers;
    this.log = log;
  }

  load(module: MainProcessModule): Promise<MainProcessHandle | undefined> {
    let handle = this.loaded.get(module.url);
    if (handle === undefined) {
      handle = this.start(module);
      this.loaded.set(module.url, handle);
    }
    return handle;
  }

  private async start(module: MainProcessModule): Promise<MainProcessHandle | undefined> {
    try {
      const loaded = (await import(module.url)) as {
        startInMainProcess?: (context: MainProcessContext) => Promise<MainProcessHandle>;
      };
      if (typeof loaded.startInMainProcess !== "function") {
        throw new Error(`${module.url} does not export startInMainProcess`);
      }
      return await loaded.startInMainProcess({
        options: module.options,
        ask: (topic) => this.ask(topic),
      });
    } catch (err) {
      this.log.error({ err }, `Could not start ${module.url} in the main process.`);
      return undefined;
    }
  }

  /**
   * Ask every ready worker; a worker that exits meanwhile, or does not answer within 5 s,
   * is left out.
   */
  ask(topic: string): Promise<unknown[]> {
    const finals = this.finals.get(topic) ?? [];
    this.finals.delete(topic);
    const workers = this.workers().filter((w) => w.connected);
    if (workers.length === 0) return Promise.resolve(finals);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const pending: Pending = {
        answers: finals,
        waiting: new Set(workers),
        done: () => {
          clearTimeout(timer);
          this.pending.delete(id);
          resolve(pending.answers);
        },
      };
      const timer = setTimeout(pending.done, ASK_TIMEOUT);
      this.pending.set(id, pending);
      const request: MainRequest = { type: "ask", id, topic };
      for (const w of workers) {
        w.send(request, (err) => {
          if (err !== null) this.settle(pending, w);
        });
      }
    });
  }

  answered(worker: ChildProcess, id: number, answers: unknown[]): void {
    const pending = this.pending.get(id);
    if (pending === undefined || !pending.waiting.has(worker)) return;
    pending.answers.push(...answers);
    this.settle(pending, worker);
  }

  /** A worker process's unasked last answers to `topic`: kept for the next question. */
  final(topic: string, answers: unknown[]): void {
    const kept = this.finals.get(topic) ?? [];
    kept.push(...answers);
    this.finals.set(topic, kept);
  }

  /** A worker process exited: questions stop waiting for it. */
  gone(worker: ChildProcess): void {
    for (const pending of [...this.pending.values()]) this.settle(pending, worker);
  }

  private settle(pending: Pending, worker: ChildProcess): void {
    if (pending.waiting.delete(worker) && pending.waiting.size === 0) pending.done();
  }

  async close(): Promise<void> {
    for (const handle of this.loaded.values()) {
      const h = await handle;
      await h?.close().catch(() => {});
    }
  }
}
