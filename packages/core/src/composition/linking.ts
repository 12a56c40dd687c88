import type { Broker } from "../broker.js";
import { DecodeError, InvalidArgument } from "../errors.js";
import type { MessageData } from "../message.js";
import { Message } from "../message.js";
import { readOption } from "../options.js";
import { renderBounded } from "../render.js";
import { storedByComposition } from "../results/stored-check.js";
import type { Group } from "./group.js";
import type { Pipeline } from "./pipeline.js";

/**
 * Where a pipeline goes after a step, as it travels in message options: the next message
 * (Dramatiq's `pipe_target`), or a group whose members all start at once (`pipe_target_group`).
 */
export type TargetData = { message: MessageData } | { group: GroupSpec };

/** A group as it travels in a pipeline's message options (`pipe_target_group`). */
export interface GroupSpec {
  /** The group's id (its `groupId`), naming its barrier. */
  group_id: string;
  /** Each member's first step. */
  members: TargetData[];
}

/** A step of a pipeline, or a member of a group. */
export type Step = Message | Group<unknown[]> | Pipeline<unknown>;

function isGroup(step: unknown): step is Group<unknown[]> {
  return (step as { kind?: unknown })?.kind === "group";
}

function isPipeline(step: unknown): step is Pipeline<unknown> {
  return (step as { kind?: unknown })?.kind === "pipeline";
}

/**
 * What every message of a composition carries: the id of the composition that was run
 * (`composition_id`, so that canceling it reaches every member), and `cancel_on_error` under
 * a group that has it.
 */
export interface Membership {
  compositionId: string;
  cancelOnError: boolean;
}

function stamp(
  message: Message,
  membership: Membership | undefined,
  pipeOnError: boolean,
): Message {
  if (membership === undefined) return message;
  const options: Record<string, unknown> = { composition_id: membership.compositionId };
  if (membership.cancelOnError) options.cancel_on_error = true;
  if (pipeOnError) options.pipe_on_error = true;
  return message.copy({ options });
}

/** Chain `steps` so each one's success starts the next; returns the first step's target. */
export function linkSteps(
  steps: readonly Step[],
  tail: TargetData | undefined,
  barriers: Group<unknown[]>[],
  membership?: Membership,
  pipeOnError = false,
): TargetData {
  let next = tail;
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i]!;
    if (isGroup(step)) next = { group: groupSpec(step, next, barriers, membership) };
    else if (isPipeline(step))
      next = linkSteps(step.steps, next, barriers, membership, step.pipeOnError);
    else next = { message: withTarget(stamp(step, membership, pipeOnError), next).asDict() };
  }
  if (next === undefined) throw new InvalidArgument("A pipeline needs at least one step");
  return next;
}

function withTarget(message: Message, target: TargetData | undefined): Message {
  if (target === undefined) return message;
  return message.copy({
    options:
      "message" in target ? { pipe_target: target.message } : { pipe_target_group: target.group },
  });
}

/**
 * A group as it travels. When something waits for the group (completion callbacks, or a
 * next step in a pipeline), each member's last message carries the group's id and what to
 * do once all members are done; `barriers` collects the groups that need one.
 */
export function groupSpec(
  group: Group<unknown[]>,
  then: TargetData | undefined,
  barriers: Group<unknown[]>[],
  outer?: Membership,
): GroupSpec {
  const membership: Membership | undefined =
    outer === undefined
      ? undefined
      : { ...outer, cancelOnError: outer.cancelOnError || group.cancelOnError };
  const callbacks = group.completionCallbacks.map((m) => m.asDict());
  const waited = then !== undefined || callbacks.length > 0;
  if (!waited) {
    return {
      group_id: group.groupId,
      members: group.children.map((child) => linkSteps([child], undefined, barriers, membership)),
    };
  }
  barriers.push(group);
  const exits = group.children.map(exitMessage);
  const options: Record<string, unknown> = { group_completion_uuid: group.groupId };
  if (callbacks.length > 0) options.group_completion_callbacks = callbacks;
  if (then !== undefined) {
    options.group_members = exits.map((m) => [m.queueName, m.actorName, m.messageId]);
    options.group_then = then;
    options.store_results = true;
    for (const exit of exits) storedByComposition.add(exit);
  }
  const members = group.children.map((child, i) => {
    const exit = exits[i]!.copy({ options });
    if (!isPipeline(child)) return linkSteps([exit], undefined, barriers, membership);
    return linkSteps(
      [...child.steps.slice(0, -1), exit],
      undefined,
      barriers,
      membership,
      child.pipeOnError,
    );
  });
  return { group_id: group.groupId, members };
}

function exitMessage(child: Step): Message {
  const last = isPipeline(child) ? child.steps.at(-1) : child;
  if (last === undefined || isGroup(last) || isPipeline(last)) {
    throw new InvalidArgument(
      "A group that is waited for (completion callbacks, or a step of a pipeline) may hold messages and pipelines ending in a message, not groups",
    );
  }
  return last;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Targets travel in message options, so a producer other than taskq may have put anything
 * there: a malformed one is a DecodeError naming it (the message is dead-lettered with that
 * reason), never a TypeError that would have the message given back and fail again forever.
 */
function checkTarget(target: unknown): asserts target is TargetData {
  const malformed = (what: string): never => {
    throw new DecodeError(`malformed pipeline target: ${what}`, renderBounded(target));
  };
  if (!isRecord(target)) malformed("not an object");
  const t = target as Record<string, unknown>;
  if (Object.hasOwn(t, "group")) {
    const group = t.group;
    if (!isRecord(group) || !Array.isArray(group.members)) malformed("a group without members");
  } else if (!Object.hasOwn(t, "message")) {
    malformed("neither a message nor a group");
  }
}

/** No previous result: the start of a pipeline or group. */
export const START: unique symbol = Symbol("taskq.composition.start");

/**
 * Start what a target names: the next message, or every member of a group. `previous`
 * (the step's result) is appended to each started message's args unless it has pipeIgnore.
 */
export async function continueWith(
  broker: Broker,
  target: TargetData,
  previous: unknown,
  delay?: number,
): Promise<void> {
  checkTarget(target);
  if ("group" in target) {
    await Promise.all(
      target.group.members.map((member) => continueWith(broker, member, previous, delay)),
    );
    return;
  }
  const next = Message.fromDict(target.message);
  const ignore =
    previous === START || readOption(next.options, broker.findActor(next.actorName), "pipeIgnore");
  const message = ignore ? next : next.copy({ args: [...next.args, previous] });
  const own = typeof next.options.delay === "number" ? next.options.delay : undefined;
  const wait = own === undefined ? delay : delay === undefined ? own : Math.max(own, delay);
  await broker.enqueue(message, wait === undefined ? {} : { delay: wait });
}
