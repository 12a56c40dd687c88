import type { Broker } from "./broker.js";
import { InvalidArgument } from "./errors.js";
import { getBroker } from "./global.js";
import { loadingModule, noteDeclared } from "./isolation/registry.js";
import { Message } from "./message.js";
import type { ActorOptions, MessageOptions } from "./options.js";
import { toWireOptions } from "./options.js";
import { setOwn } from "./own.js";
import { assertQueueName } from "./queue-names.js";
import { describeValue } from "./validate.js";

/** Where and how an actor is declared: its identity plus its default options. */
export interface ActorDeclaration extends ActorOptions {
  /** Defaults to the function's name; required for anonymous functions. */
  actorName?: string;
  /** Defaults to `default`. */
  queueName?: string;
  /** Lower runs first among messages a worker holds. Default 0. */
  priority?: number;
  /** Other queues a message may be sent to with the `queueName` send option (Remoulade). */
  alternativeQueues?: readonly string[];
  /** Defaults to the global broker. */
  broker?: Broker;
}

/** Options for `sendWithOptions` and `messageWithOptions`; `args` is required when the actor takes any. */
export type SendOptions<A extends unknown[]> = MessageOptions & {
  /** Keyword arguments, for Python actors; a taskq actor receives them as a trailing object. */
  kwargs?: Record<string, unknown>;
  /** Run no earlier than this many ms from now. */
  delay?: number;
  /** One of the actor's queue and alternative queues. */
  queueName?: string;
} & ([] extends A ? { args?: A } : { args: A });

/**
 * The leading parameters of a function, any number of them: what a composed message may
 * carry, since a pipeline appends the previous step's result to its args.
 */
export type LeadingArgs<A extends unknown[]> = A extends [...infer Init, unknown]
  ? A | LeadingArgs<Init>
  : A extends []
    ? []
    : A | [];

/**
 * The parameters of `A` left once its leading `Given` ones are set: what a message built
 * with `actor.message(...given)` still takes (in a pipeline, from the previous step).
 */
export type RemainingArgs<A extends unknown[], Given extends unknown[]> = Given extends [
  unknown,
  ...infer MoreGiven,
]
  ? A extends [unknown?, ...infer Rest]
    ? RemainingArgs<Rest, MoreGiven>
    : A
  : A;

/**
 * What a message built with these options still takes from a previous step: nothing is
 * checked with `pipeIgnore: true`, since it receives nothing.
 */
export type PendingOf<A extends unknown[], O> = O extends { pipeIgnore: true }
  ? unknown[]
  : RemainingArgs<A, O extends { args: infer G extends unknown[] } ? G : []>;

/** Options for `messageWithOptions`: like SendOptions, with `args` any leading parameters. */
export type MessageBuildOptions<A extends unknown[]> = MessageOptions & {
  kwargs?: Record<string, unknown>;
  /** Kept in the message's options; groups and pipelines apply it when they enqueue it. */
  delay?: number;
  queueName?: string;
  args?: LeadingArgs<A>;
};

/** Any function an actor can wrap. */
export type ActorFunction = (...args: never[]) => unknown;
/** The parameter types of an actor function `F`. */
export type ArgsOf<F> = F extends (...args: infer A) => unknown ? A : never;
/** What an actor function `F` resolves to (its awaited return type). */
export type ResultOf<F> = F extends (...args: never[]) => infer R ? Awaited<R> : never;

const DECLARATION_KEYS = new Set([
  "actorName",
  "queueName",
  "priority",
  "alternativeQueues",
  "broker",
]);
const SEND_KEYS = new Set(["args", "kwargs", "delay", "queueName"]);

/**
 * A function that can run elsewhere: `send` puts a message for it on its broker, a worker
 * runs it. Calling the actor itself runs the function here and now.
 */
export interface Actor<A extends unknown[] = unknown[], R = unknown> {
  /** Run the function here and now, in this process, with no message and no middleware. */
  // biome-ignore lint/style/useShorthandFunctionType: an interface is what merges with the class.
  (...args: A): Promise<R>;
}

export class Actor<A extends unknown[] = unknown[], R = unknown> {
  /** The name messages use to find this actor on a worker. */
  declare readonly actorName: string;
  /** The queue its messages go to, unless sent with one of `alternativeQueues`. */
  declare readonly queueName: string;
  /** Lower runs first among messages a worker holds. Default 0. */
  declare readonly priority: number;
  /** Other queues a message may be sent to with the `queueName` send option. */
  declare readonly alternativeQueues: readonly string[];
  /** Default options for this actor's messages (camelCase). */
  declare readonly options: Readonly<ActorOptions>;
  /** The broker the actor is declared on, which its messages are sent through. */
  declare readonly broker: Broker;
  /** The wrapped function, as declared. */
  declare readonly fn: (...args: A) => R | Promise<R>;

  /** Declares the actor on its broker. Most code uses `actor()` instead. */
  constructor(fn: (...args: A) => R | Promise<R>, declaration: ActorDeclaration = {}) {
    if (typeof fn !== "function") throw new InvalidArgument("An actor wraps a function");
    const actorName = declaration.actorName ?? fn.name;
    if (typeof actorName !== "string" || actorName.length === 0) {
      throw new InvalidArgument("An anonymous function needs an actorName to become an actor");
    }
    const queueName = declaration.queueName ?? "default";
    assertQueueName(queueName, `queue name of actor ${actorName}`);
    const alternativeQueues = [...(declaration.alternativeQueues ?? [])];
    for (const q of alternativeQueues)
      assertQueueName(q, `alternative queue of actor ${actorName}`);
    const priority = declaration.priority ?? 0;
    if (!Number.isInteger(priority)) {
      throw new InvalidArgument(
        `Option priority of actor ${actorName} must be an integer, got ${String(priority)}`,
      );
    }
    const options: Record<string, unknown> = {};
    for (const key of Object.keys(declaration)) {
      const value = (declaration as Record<string, unknown>)[key];
      if (!DECLARATION_KEYS.has(key) && value !== undefined) setOwn(options, key, value);
    }
    if (options.isolation !== undefined && options.actorModule === undefined) {
      // A pool thread imports the declaring module to find the actor: it must be known.
      const url = loadingModule();
      if (url === undefined) {
        throw new InvalidArgument(
          `Actor ${actorName} has isolation ${JSON.stringify(options.isolation)} but no actorModule: pass actorModule: import.meta.url (or load its module with the taskq CLI)`,
        );
      }
      options.actorModule = url;
    }

    // The instance is the function itself, so actors are callable.
    const self = ((...args: A) => {
      try {
        return Promise.resolve(fn(...args));
      } catch (err) {
        return Promise.reject(err);
      }
    }) as unknown as Actor<A, R>;
    Object.setPrototypeOf(self, new.target.prototype);
    Object.defineProperties(self, {
      name: { value: actorName },
      actorName: { value: actorName, enumerable: true },
      queueName: { value: queueName, enumerable: true },
      priority: { value: priority, enumerable: true },
      alternativeQueues: { value: Object.freeze(alternativeQueues), enumerable: true },
      options: { value: Object.freeze(options), enumerable: true },
      broker: { value: declaration.broker ?? getBroker(), enumerable: true },
      fn: { value: fn, enumerable: true },
    });
    self.broker.declareActor(self as unknown as Actor);
    noteDeclared(actorName, fn as (...args: unknown[]) => unknown);
    // biome-ignore lint/correctness/noConstructorReturn: the callable is the instance.
    return self;
  }

  /**
   * Build a message for this actor without sending it (for groups and pipelines). Any
   * leading part of the parameters will do: its type records the rest, which a pipeline
   * checks against the previous step's result.
   */
  message<G extends LeadingArgs<A>>(...args: G): Message<R, RemainingArgs<A, G>> {
    return new Message<R, RemainingArgs<A, G>>({
      queueName: this.queueName,
      actorName: this.actorName,
      args,
      options: {},
    });
  }

  /** Build a message with options; a `delay` here is kept for composition to apply. */
  messageWithOptions<const O extends MessageBuildOptions<A>>(
    options: O,
  ): Message<R, PendingOf<A, O>> {
    const { args, kwargs, queueName, delay } = options;
    const rest: Record<string, unknown> = {};
    for (const key of Object.keys(options)) {
      if (!SEND_KEYS.has(key)) setOwn(rest, key, (options as Record<string, unknown>)[key]);
    }
    const wire = toWireOptions(rest, `a message to ${this.actorName}`);
    if (delay !== undefined) wire.delay = delay;
    return this.build(args ?? [], kwargs, queueName, wire) as Message<R, PendingOf<A, O>>;
  }

  /** Send a message; resolves to it once the broker has it. */
  send(...args: A): Promise<Message<R>> {
    return this.broker.enqueue(
      new Message<R>({ queueName: this.queueName, actorName: this.actorName, args, options: {} }),
    );
  }

  /** Send a message with options (`delay`, `queueName`, retry and other middleware options). */
  sendWithOptions(options: SendOptions<A>): Promise<Message<R>> {
    try {
      const { delay, ...rest } = options as SendOptions<A> & { args?: A };
      const message = this.messageWithOptions(rest as MessageBuildOptions<A>);
      return this.broker.enqueue(message, delay === undefined ? {} : { delay });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private build(
    args: readonly unknown[],
    kwargs: Record<string, unknown> | undefined,
    queueName: string | undefined,
    options: Record<string, unknown>,
  ): Message<R> {
    if (!Array.isArray(args)) {
      throw new InvalidArgument(
        `args for actor ${this.actorName} must be an array, got ${typeof args}`,
      );
    }
    if (
      kwargs !== undefined &&
      (typeof kwargs !== "object" || kwargs === null || Array.isArray(kwargs))
    ) {
      throw new InvalidArgument(
        `kwargs for actor ${this.actorName} must be an object, got ${describeValue(kwargs)}`,
      );
    }
    if (
      queueName !== undefined &&
      queueName !== this.queueName &&
      !this.alternativeQueues.includes(queueName)
    ) {
      throw new InvalidArgument(
        `Actor ${this.actorName} cannot send to queue ${JSON.stringify(queueName)}: allowed are ${[this.queueName, ...this.alternativeQueues].join(", ")}`,
      );
    }
    return new Message<R>({
      queueName: queueName ?? this.queueName,
      actorName: this.actorName,
      args,
      kwargs: kwargs ?? {},
      options,
    });
  }

  /** `Actor(name)`, for log lines. */
  toString(): string {
    return `Actor(${this.actorName}, queueName=${this.queueName})`;
  }
}

/** Declare an actor: `actor(fn, options)` or `actor(options)(fn)`. */
export function actor<F extends ActorFunction>(
  fn: F,
  options?: ActorDeclaration,
): Actor<ArgsOf<F>, ResultOf<F>>;
export function actor(
  options: ActorDeclaration,
): <F extends ActorFunction>(fn: F) => Actor<ArgsOf<F>, ResultOf<F>>;
export function actor<F extends ActorFunction>(
  fnOrOptions: F | ActorDeclaration,
  options?: ActorDeclaration,
):
  | Actor<ArgsOf<F>, ResultOf<F>>
  | (<G extends ActorFunction>(fn: G) => Actor<ArgsOf<G>, ResultOf<G>>) {
  if (typeof fnOrOptions === "function") {
    return new Actor(fnOrOptions as unknown as (...args: ArgsOf<F>) => ResultOf<F>, options);
  }
  const declaration = fnOrOptions;
  return <G extends ActorFunction>(fn: G) =>
    new Actor(fn as unknown as (...args: ArgsOf<G>) => ResultOf<G>, declaration);
}
