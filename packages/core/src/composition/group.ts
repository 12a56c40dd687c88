import { randomUUID } from "node:crypto";
import type { Broker } from "../broker.js";
import type { CancelOutcome } from "../cancel/api.js";
import { getBroker } from "../global.js";
import { Message } from "../message.js";
import { assertResultStored } from "../results/stored-check.js";
import { optionChecks, validateOptions } from "../validate.js";
import { createBarriers } from "./barriers.js";
import type { StepState } from "./lifecycle.js";
import { cancelComposition, memberStates } from "./lifecycle.js";
import type { Step } from "./linking.js";
import { continueWith, groupSpec, START } from "./linking.js";
import type { Pipeline } from "./pipeline.js";
import { isDone, sharedDeadline } from "./results.js";
import type { StepInput } from "./step-types.js";

/** Key of Group's type-only record of what its members take. */
declare const input: unique symbol;

/** Options of `group()` and `pipeline()`. */
export interface CompositionOptions {
  /** Defaults to the global broker. */
  broker?: Broker;
}

/** Options of `group(children, options)`. */
export interface GroupOptions extends CompositionOptions {
  /**
   * When a member fails for good, cancel the rest of the composition: members not started are
   * skipped, running ones interrupted (needs the Cancel middleware). Default false.
   */
  cancelOnError?: boolean;
}

/** Options of `group.run()` and `pipeline.run()`. */
export interface RunOptions {
  /** Delay every first message by this many ms. */
  delay?: number;
}

/** The result type of a group or pipeline child. */
export type ResultOfStep<S> =
  S extends Message<infer R>
    ? R
    : S extends Pipeline<infer R>
      ? R
      : S extends Group<infer Rs>
        ? Rs
        : unknown;

/**
 * Messages (or pipelines, or groups) that run in parallel. Results come back in group order
 * with `getResults`, or in completion order by iterating: `for await (const r of g)`.
 * `Input` is what its members still take, each, when the group is a pipeline step.
 */
export class Group<Rs extends unknown[] = unknown[], Input extends unknown[] = unknown[]> {
  /** Type-only: never set, it lets `pipeline()` check what each member takes. */
  declare readonly [input]?: Input;
  /** Tells a group from a pipeline or a message in a composition: always `"group"`. */
  readonly kind = "group" as const;
  /** The broker the group's messages are sent through. */
  readonly broker: Broker;
  /** The members, in group order: messages, pipelines and groups. */
  readonly children: readonly Step[];
  /** Identifies the group's barrier and the results of its members (a UUID). */
  readonly groupId: string = randomUUID();
  /** The messages sent once every member has succeeded (`addCompletionCallback`). */
  readonly completionCallbacks: Message[] = [];
  /** Whether a member failing for good cancels the rest. */
  readonly cancelOnError: boolean;

  constructor(children: Iterable<Step>, options: GroupOptions = {}) {
    validateOptions("group", options, {
      broker: optionChecks.object,
      cancelOnError: optionChecks.boolean,
    });
    this.children = [...children];
    this.broker = options.broker ?? getBroker();
    this.cancelOnError = options.cancelOnError ?? false;
  }

  /**
   * The id every member carries in option `composition_id` when this group is run (a group
   * run inside a pipeline carries the pipeline's): its group id.
   */
  get compositionId(): string {
    return this.groupId;
  }

  /**
   * Send `message` once every member has succeeded (needs the GroupCallbacks middleware).
   * A group may have several.
   */
  addCompletionCallback(message: Message): this {
    this.completionCallbacks.push(message);
    return this;
  }

  /**
   * Send every member's first message (after the group's barrier is created); resolves to the group
   * once the broker has them.
   */
  async run(options: RunOptions = {}): Promise<this> {
    const barriers: Group<unknown[]>[] = [];
    const spec = groupSpec(this as Group<unknown[]>, undefined, barriers, {
      compositionId: this.compositionId,
      cancelOnError: false,
    });
    await createBarriers(this.broker, barriers);
    await continueWith(this.broker, { group: spec }, START, options.delay);
    return this;
  }

  /** Every member's result, in group order. */
  async getResults(options: { block?: boolean; timeout?: number } = {}): Promise<Rs> {
    const next = sharedDeadline(options);
    const results: unknown[] = [];
    for (const child of this.children) results.push(await resultOf(this.broker, child, next()));
    return results as Rs;
  }

  /** Resolve once every member has a result; ResultTimeout after `timeout` ms (default 10 s). */
  async wait(options: { timeout?: number } = {}): Promise<void> {
    await this.getResults({ block: true, timeout: options.timeout });
  }

  /**
   * Every member's state, in group order (a pipeline member's as a list), through the broker's
   * MessageState; undefined for a member with none recorded.
   */
  getStates(): Promise<StepState[]> {
    return memberStates(this.broker, this.children);
  }

  /**
   * Cancel every member (needs the Cancel middleware): those not started are skipped, running
   * ones interrupted. Resolves once recorded, to what was done for each member message.
   */
  cancel(): Promise<CancelOutcome[]> {
    return cancelComposition(this.broker, this.compositionId, this.children);
  }

  /** How many members have a stored result now (needs the Results middleware). */
  async completedCount(): Promise<number> {
    let count = 0;
    for (const child of this.children) {
      if (await isDone(() => resultOf(this.broker, child, { block: false }))) count++;
    }
    return count;
  }

  /** Whether every member has a stored result now (needs the Results middleware). */
  async completed(): Promise<boolean> {
    return (await this.completedCount()) === this.children.length;
  }

  /** Members' results as they complete; ResultTimeout once `timeout` ms (default 10 s) pass. */
  async *results(options: { timeout?: number } = {}): AsyncGenerator<Rs[number]> {
    const next = sharedDeadline({ block: true, timeout: options.timeout });
    const pending = new Map<number, Promise<{ index: number; value?: unknown; error?: unknown }>>();
    this.children.forEach((child, index) => {
      pending.set(
        index,
        resultOf(this.broker, child, next()).then(
          (value) => ({ index, value }),
          (error: unknown) => ({ index, error }),
        ),
      );
    });
    while (pending.size > 0) {
      const settled = await Promise.race(pending.values());
      pending.delete(settled.index);
      if ("error" in settled) throw settled.error;
      yield settled.value as Rs[number];
    }
  }

  [Symbol.asyncIterator](): AsyncGenerator<Rs[number]> {
    return this.results();
  }
}

/** The result of one child: a message's, a pipeline's last, a group's list. */
export function resultOf(
  broker: Broker,
  child: Step,
  options: { block?: boolean; timeout?: number },
): Promise<unknown> {
  if (child instanceof Message) {
    try {
      const backend = broker.getResultsBackend();
      assertResultStored(broker, child);
      return backend.getResult(child, options);
    } catch (err) {
      return Promise.reject(err);
    }
  }
  if (child.kind === "pipeline") return child.getResult(options);
  return child.getResults(options);
}

/** Run children in parallel: `group([a.message(1), b.message(2)]).run()`. */
export function group<const C extends readonly Step[]>(
  children: C,
  options?: GroupOptions,
): Group<{ -readonly [K in keyof C]: ResultOfStep<C[K]> }, StepInput<C[number]>> {
  return new Group(children, options);
}
