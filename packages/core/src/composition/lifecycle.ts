import type { Broker } from "../broker.js";
import type { CancelOutcome } from "../cancel/api.js";
import { cancelMessages } from "../cancel/api.js";
import { findStates } from "../lifecycle/lookup.js";
import type { StateRecord } from "../state/types.js";
import type { Step } from "./linking.js";

/**
 * The states of a composition's members, shaped like its results: a message's state (or
 * undefined when none is recorded, as for a pipeline step not sent yet), and a list for a
 * group or a pipeline.
 */
export type StepState = StateRecord | undefined | StepState[];

function isMessage(step: Step): step is Extract<Step, { messageId: string }> {
  return typeof (step as { messageId?: unknown }).messageId === "string";
}

function childrenOf(step: Step): readonly Step[] {
  return (step as { kind?: string }).kind === "group"
    ? (step as { children: readonly Step[] }).children
    : (step as { steps: readonly Step[] }).steps;
}

/** Every message id of the steps, depth first, in member order. */
export function memberIds(steps: readonly Step[], out: string[] = []): string[] {
  for (const step of steps) {
    if (isMessage(step)) out.push(step.messageId);
    else memberIds(childrenOf(step), out);
  }
  return out;
}

/** The members' states in member order, read in one call. */
export async function memberStates(broker: Broker, steps: readonly Step[]): Promise<StepState[]> {
  const states = await findStates(broker).getMany(memberIds(steps));
  let next = 0;
  const shape = (list: readonly Step[]): StepState[] =>
    list.map((step) => (isMessage(step) ? states[next++] : shape(childrenOf(step))));
  return shape(steps);
}

/** Cancel a composition: its id (every member carries it) and each member by id. */
export function cancelComposition(
  broker: Broker,
  compositionId: string,
  steps: readonly Step[],
): Promise<CancelOutcome[]> {
  return cancelMessages(broker, memberIds(steps), [compositionId]);
}
