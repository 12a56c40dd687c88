import type { Message } from "../message.js";
import type { Group, ResultOfStep } from "./group.js";
import type { Pipeline } from "./pipeline.js";

/**
 * What a step still takes from the step before it: a message's pending parameters, a
 * pipeline's first step's, for a group the union of its members'. `unknown[]` is not checked.
 */
export type StepInput<S> =
  S extends Message<unknown, infer P>
    ? P
    : S extends Pipeline<unknown, infer P>
      ? P
      : S extends Group<unknown[], infer P>
        ? P
        : unknown[];

/**
 * The inputs among `Input` (a union, one per group member) that cannot take `Result` as
 * their one remaining argument; never when all can. An input with nothing pending takes
 * it too: JavaScript drops an extra argument, as with a full `actor.message(a, b)`.
 */
type Refusing<Result, Input> = Input extends unknown
  ? Input extends []
    ? never
    : [Result] extends Input
      ? never
      : Input
  : never;

/**
 * Stands in for a pipeline step the previous result does not fit, so that the compiler's
 * error names both: the previous step's result type and the parameters this step lacks.
 */
export interface PipelineStepMismatch<PreviousResult, StepTakes> {
  /**
   * Shown by the compiler where a step cannot take the previous step's result: what that result is
   * and what the step still takes.
   */
  readonly "the previous step's result does not fit this step's remaining parameters": {
    previousResult: PreviousResult;
    stepTakes: StepTakes;
  };
}

/** A previous result typed `unknown` or `any` (a plain `Message`, say) is not checked. */
type Fits<Step, Previous> =
  unknown extends ResultOfStep<Previous>
    ? Step
    : [Refusing<ResultOfStep<Previous>, StepInput<Step>>] extends [never]
      ? Step
      : PipelineStepMismatch<ResultOfStep<Previous>, StepInput<Step>>;

type CheckedAfter<C extends readonly unknown[], Previous> = C extends readonly [
  infer Step,
  ...infer Rest,
]
  ? readonly [Fits<Step, Previous>, ...CheckedAfter<Rest, Step>]
  : C;

/**
 * The steps of a pipeline as they must be: each step after the first must take the previous
 * step's result as its last argument. A list whose length is not known is not checked.
 */
export type CheckedSteps<C extends readonly unknown[]> = C extends readonly [
  infer First,
  ...infer Rest,
]
  ? readonly [First, ...CheckedAfter<Rest, First>]
  : C;
