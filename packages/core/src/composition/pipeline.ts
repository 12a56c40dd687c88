import { randomUUID } from "node:crypto";
import type { Broker } from "../broker.js";
import type { CancelOutcome } from "../cancel/api.js";
import { InvalidArgument } from "../errors.js";
import { getBroker } from "../global.js";
import { Message } from "../message.js";
import { optionChecks, validateOptions } from "../validate.js";
import { createBarriers } from "./barriers.js";
import type { CompositionOptions, Group, ResultOfStep, RunOptions } from "./group.js";
import { resultOf } from "./group.js";
import type { StepState } from "./lifecycle.js";
import { cancelComposition, memberStates } from "./lifecycle.js";
import type { Step } from "./linking.js";
import { continueWith, linkSteps, START } from "./linking.js";
import { isDone, sharedDeadline } from "./results.js";
import type { CheckedSteps, StepInput } from "./step-types.js";

/** Key of Pipeline's type-only record of what its first step takes. */
declare const input: unique symbol;

/** Options of `pipeline(children, options)`. */
export interface PipelineOptions extends CompositionOptions {
  /**
   * A step that fails for good still starts the next one, which receives
   * `{ origExcType, origExcMsg }` (ResultFailure's fields) instead of a result. Default false.
   */
  pipeOnError?: boolean;
}

type LastOf<C> = C extends readonly [...unknown[], infer L]
  ? L
  : C extends readonly (infer E)[]
    ? E
    : never;

/**
 * Steps that run one after another, each receiving the previous step's result as its last
 * argument (unless it has `pipeIgnore`). A step may be a group: the next step then receives
 * the list of the group's results, in group order. Nested pipelines are flattened. `R` is
 * the last step's result; `Input` what the first step still takes, when the pipeline is
 * itself a step (`unknown[]`: not checked).
 */
export class Pipeline<R = unknown, Input extends unknown[] = unknown[]> {
  /** Type-only: never set, it lets an enclosing `pipeline()` read `Input`. */
  declare readonly [input]?: Input;
  /** Tells a pipeline from a group or a message in a composition: always `"pipeline"`. */
  readonly kind = "pipeline" as const;
  /** The broker the pipeline's messages are sent through. */
  readonly broker: Broker;
  /** The steps in order: messages and groups. */
  readonly steps: readonly (Message | Group<unknown[]>)[];
  /** The id every step carries in option `composition_id` when this pipeline is run. */
  readonly compositionId: string = randomUUID();
  /** Whether a step that fails for good still starts the next. */
  readonly pipeOnError: boolean;

  constructor(children: Iterable<Step>, options: PipelineOptions = {}) {
    validateOptions("pipeline", options, {
      broker: optionChecks.object,
      pipeOnError: optionChecks.boolean,
    });
    const steps: (Message | Group<unknown[]>)[] = [];
    for (const child of children) {
      if ((child as { kind?: unknown }).kind === "pipeline")
        steps.push(...(child as Pipeline).steps);
      else steps.push(child as Message | Group<unknown[]>);
    }
    if (steps.length === 0) throw new InvalidArgument("A pipeline needs at least one step");
    this.pipeOnError = options.pipeOnError ?? false;
    if (this.pipeOnError && steps.slice(0, -1).some((s) => !(s instanceof Message))) {
      throw new InvalidArgument(
        "pipeOnError hands a failed message step's error to the next step; a group followed by another step cannot do that (a failed member stops the pipeline)",
      );
    }
    this.steps = steps;
    this.broker = options.broker ?? getBroker();
  }

  /** Start the first step (after `delay` ms, or its own delay if longer). */
  async run(options: RunOptions = {}): Promise<this> {
    const barriers: Group<unknown[]>[] = [];
    const entry = linkSteps(
      this.steps,
      undefined,
      barriers,
      { compositionId: this.compositionId, cancelOnError: false },
      this.pipeOnError,
    );
    // A group followed by a step hands over its members' stored results: fail before sending.
    if (this.steps.slice(0, -1).some((s) => !(s instanceof Message)))
      this.broker.getResultsBackend();
    await createBarriers(this.broker, barriers);
    await continueWith(this.broker, entry, START, options.delay);
    return this;
  }

  /** The last step's result. */
  getResult(options: { block?: boolean; timeout?: number } = {}): Promise<R> {
    return resultOf(this.broker, this.steps.at(-1)!, options) as Promise<R>;
  }

  /** Every step's result, in order (a group step's is the list of its results). */
  async getResults(options: { block?: boolean; timeout?: number } = {}): Promise<unknown[]> {
    const next = sharedDeadline(options);
    const results: unknown[] = [];
    for (const step of this.steps) results.push(await resultOf(this.broker, step, next()));
    return results;
  }

  /**
   * Every step's state, in order (a group step's as a list), through the broker's
   * MessageState; undefined for a step not sent yet.
   */
  getStates(): Promise<StepState[]> {
    return memberStates(this.broker, this.steps);
  }

  /**
   * Cancel the pipeline (needs the Cancel middleware): the running step is interrupted and no
   * later step runs. Resolves once recorded, to what was done for each step's message.
   */
  cancel(): Promise<CancelOutcome[]> {
    return cancelComposition(this.broker, this.compositionId, this.steps);
  }

  /** Steps done so far: the steps before the first without a result. */
  async completedCount(): Promise<number> {
    let count = 0;
    for (const step of this.steps) {
      if (!(await isDone(() => resultOf(this.broker, step, { block: false })))) break;
      count++;
    }
    return count;
  }

  /** Whether the last step has a stored result now (needs the Results middleware). */
  async completed(): Promise<boolean> {
    return (await this.completedCount()) === this.steps.length;
  }
}

/**
 * Chain steps: `pipeline([add.message(1, 2), add.message(3)]).run()`. Each step's result
 * must fit the next step's remaining parameter (a compile error names both otherwise),
 * unless that step was built with `pipeIgnore: true`.
 */
export function pipeline<const C extends readonly Step[]>(
  children: C & CheckedSteps<C>,
  options?: PipelineOptions,
): Pipeline<ResultOfStep<LastOf<C>>, StepInput<C[0]>> {
  return new Pipeline(children, options);
}
