import type {
  ActorDeclaration,
  LeadingArgs,
  MessageBuildOptions,
  PendingOf,
  RemainingArgs,
  SendOptions,
} from "./actor.js";
import { Actor } from "./actor.js";
import { InvalidArgument } from "./errors.js";
import type { Message } from "./message.js";

/** Static options of a class-based actor; `abstract` applies to the class that sets it only. */
export interface GenericActorMeta extends ActorDeclaration {
  /** A shared base class, never declared as an actor itself. */
  abstract?: boolean;
}

type PerformingClass = abstract new () => { perform(...args: never[]): unknown };
type ConcreteClass = new () => { perform(...args: never[]): unknown };
/** The parameters of a GenericActor class's `perform`. */
export type PerformArgs<C> = C extends abstract new () => { perform(...args: infer A): unknown }
  ? A
  : never;
/** What a GenericActor class's `perform` resolves to. */
export type PerformResult<C> = C extends abstract new () => { perform(...args: never[]): infer R }
  ? Awaited<R>
  : never;

const declared = new WeakMap<Function, Actor>();

function isAbstract(cls: Function): boolean {
  return (
    Object.hasOwn(cls, "meta") &&
    (cls as unknown as { meta?: GenericActorMeta }).meta?.abstract === true
  );
}

/** Options from the base-most class down to `cls`; `abstract` is never inherited. */
function collectMeta(cls: Function): ActorDeclaration {
  const chain: Function[] = [];
  for (
    let c: unknown = cls;
    typeof c === "function" && c !== GenericActor;
    c = Object.getPrototypeOf(c)
  ) {
    chain.unshift(c as Function);
  }
  const merged: GenericActorMeta = {};
  for (const c of chain) {
    if (Object.hasOwn(c, "meta"))
      Object.assign(merged, (c as unknown as { meta: GenericActorMeta }).meta);
  }
  delete merged.abstract;
  return merged;
}

/**
 * Base class for class-based actors (Dramatiq's GenericActor): implement `perform`, put
 * options in `static meta`, and mark shared bases `abstract: true`. A class becomes an
 * actor on `declare()` — call it in a static block (`static { this.declare(); }`) so that
 * workers importing the module know it — or on its first `send`.
 */
export abstract class GenericActor {
  /** The actor's declaration (name, queue, options); `abstract: true` for a shared base. */
  static meta?: GenericActorMeta;

  /** The actor's work: called with the message's arguments. */
  abstract perform(...args: never[]): unknown;

  /** Declare this class as an actor (once) and return the actor. */
  static declare<C extends PerformingClass>(this: C): Actor<PerformArgs<C>, PerformResult<C>> {
    return declareClass(this) as unknown as Actor<PerformArgs<C>, PerformResult<C>>;
  }

  /** Send a message to this class's actor (declaring it first if needed). */
  static send<C extends PerformingClass>(
    this: C,
    ...args: PerformArgs<C>
  ): Promise<Message<PerformResult<C>>> {
    try {
      return typed<C>(this).send(...args);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Send a message with options (`delay`, `queueName`, retry and other middleware options). */
  static sendWithOptions<C extends PerformingClass>(
    this: C,
    options: SendOptions<PerformArgs<C>>,
  ): Promise<Message<PerformResult<C>>> {
    try {
      return typed<C>(this).sendWithOptions(options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Build a message for this class's actor without sending it (for groups and pipelines). */
  static message<C extends PerformingClass, G extends LeadingArgs<PerformArgs<C>>>(
    this: C,
    ...args: G
  ): Message<PerformResult<C>, RemainingArgs<PerformArgs<C>, G>> {
    return typed<C>(this).message(...args);
  }

  /** Build a message with options, without sending it. */
  static messageWithOptions<
    C extends PerformingClass,
    const O extends MessageBuildOptions<PerformArgs<C>>,
  >(this: C, options: O): Message<PerformResult<C>, PendingOf<PerformArgs<C>, O>> {
    return typed<C>(this).messageWithOptions(options);
  }
}

function typed<C extends PerformingClass>(cls: C): Actor<PerformArgs<C>, PerformResult<C>> {
  return declareClass(cls) as unknown as Actor<PerformArgs<C>, PerformResult<C>>;
}

function declareClass(cls: PerformingClass): Actor {
  const existing = declared.get(cls);
  if (existing !== undefined) return existing;
  if (isAbstract(cls)) {
    throw new InvalidArgument(
      `${cls.name} is an abstract GenericActor: subclass it to send messages`,
    );
  }
  const meta = collectMeta(cls);
  const instance = new (cls as unknown as ConcreteClass)();
  const fn = (...args: unknown[]) => instance.perform(...(args as never[]));
  const created = new Actor(fn, { ...meta, actorName: meta.actorName ?? cls.name });
  declared.set(cls, created);
  return created;
}
