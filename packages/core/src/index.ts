export type {
  ActorDeclaration,
  ActorFunction,
  ArgsOf,
  LeadingArgs,
  MessageBuildOptions,
  PendingOf,
  RemainingArgs,
  ResultOf,
  SendOptions,
} from "./actor.js";
export { Actor, actor } from "./actor.js";
export type { BackoffParams } from "./backoff.js";
export { computeBackoff } from "./backoff.js";
export type {
  BrokerOptions,
  DeadLetterInfo,
  DeadLetterListOptions,
  DeadLetterSelection,
  EnqueueOptions,
  JoinOptions,
  PingOptions,
  QueueMessageCounts,
  WorkerInfo,
} from "./broker.js";
export { Broker } from "./broker.js";
export { LocalBroker } from "./brokers/local-broker.js";
export type { DeadLetter, StubBrokerOptions, StubJoinOptions } from "./brokers/stub-broker.js";
export { StubBroker } from "./brokers/stub-broker.js";
export type { CancelCallOptions, CancelOutcome } from "./cancel/api.js";
export { cancel } from "./cancel/api.js";
export type { CancelCounts, CancelOptions } from "./cancel/cancel.js";
export { Cancel } from "./cancel/cancel.js";
export type {
  CancelBackendOptions,
  CancelListener,
  CancelSubscription,
} from "./cancel/cancel-backend.js";
export { CancelBackend, DEFAULT_CANCEL_TTL } from "./cancel/cancel-backend.js";
export { StubCancelBackend } from "./cancel/stub-cancel-backend.js";
export type {
  CompositionOptions,
  GroupOptions,
  ResultOfStep,
  RunOptions,
} from "./composition/group.js";
export { Group, group } from "./composition/group.js";
export type { StepState } from "./composition/lifecycle.js";
export type { GroupSpec, Step, TargetData } from "./composition/linking.js";
export type { PipelineOptions } from "./composition/pipeline.js";
export { Pipeline, pipeline } from "./composition/pipeline.js";
export type {
  CheckedSteps,
  PipelineStepMismatch,
  StepInput,
} from "./composition/step-types.js";
export type { ConsumeOptions, Consumer, FetchOptions } from "./consumer.js";
export type { ExecutionContext } from "./context.js";
export { getAbortSignal, getCurrentMessage, interruptMessage } from "./context.js";
export type {
  DataGetOptions,
  DataIds,
  DataPutOptions,
  DataQueueOptions,
  DataQueueSettings,
  DataRefreshOptions,
} from "./data-queue.js";
export { DataQueue } from "./data-queue.js";
export { deadLetterPaging, selectedDeadLetterIds } from "./dead-letters.js";
export type { Encoder } from "./encoder.js";
export {
  assertJsonable,
  getEncoder,
  JSONEncoder,
  MAX_MESSAGE_DEPTH,
  setEncoder,
} from "./encoder.js";
export {
  ActorNotFound,
  BrokerError,
  Canceled,
  ConnectionClosed,
  ConnectionError,
  ConnectionFailed,
  connectionError,
  DecodeError,
  EncodeError,
  Interrupt,
  InvalidArgument,
  IsolationError,
  MiddlewareError,
  QueueJoinTimeout,
  QueueNotFound,
  RateLimitExceeded,
  ResultError,
  ResultFailure,
  ResultMissing,
  ResultTimeout,
  Retry,
  Shutdown,
  SkipMessage,
  StateTimeout,
  TaskqError,
  TimeLimitExceeded,
} from "./errors.js";
export type { GenericActorMeta, PerformArgs, PerformResult } from "./generic-actor.js";
export { GenericActor } from "./generic-actor.js";
export { getBroker, peekBroker, setBroker } from "./global.js";
export { loadActorModule } from "./isolation/registry.js";
export type { ConsoleLoggerOptions, LogFields, LogFn, Logger, LogLevel } from "./logger.js";
export { ConsoleLogger, getLogger, lazyLogger, setLogger } from "./logger.js";
export type {
  MessageBrokerOption,
  MessageChanges,
  MessageData,
  MessageFields,
} from "./message.js";
export { Message } from "./message.js";
export { MessageProxy } from "./message-proxy.js";
export * from "./middleware/index.js";
export type {
  ActorOnlyOptions,
  ActorOptions,
  ActorRef,
  BackoffStrategy,
  ErrorClass,
  Isolation,
  MessageOptions,
} from "./options.js";
export { actorRefName, defineOption, readOption, wireName } from "./options.js";
export { isPromotion } from "./promotion.js";
export { dqName, isDelayQueue, isValidQueueName, qName, xqName } from "./queue-names.js";
export type { BarrierWaitOptions } from "./rate-limits/barrier.js";
export { Barrier } from "./rate-limits/barrier.js";
export type { BucketRateLimiterOptions } from "./rate-limits/bucket-rate-limiter.js";
export { BucketRateLimiter } from "./rate-limits/bucket-rate-limiter.js";
export type { ConcurrentRateLimiterOptions } from "./rate-limits/concurrent-rate-limiter.js";
export { ConcurrentRateLimiter } from "./rate-limits/concurrent-rate-limiter.js";
export type { AcquireOptions } from "./rate-limits/rate-limiter.js";
export { RateLimiter } from "./rate-limits/rate-limiter.js";
export { RateLimiterBackend } from "./rate-limits/rate-limiter-backend.js";
export { StubRateLimiterBackend } from "./rate-limits/stub-rate-limiter-backend.js";
export type { WindowRateLimiterOptions } from "./rate-limits/window-rate-limiter.js";
export { WindowRateLimiter } from "./rate-limits/window-rate-limiter.js";
export { DEFAULT_RENDER_LIMIT, renderBounded } from "./render.js";
export type { Loaded, ResultBackendOptions, ResultKeyFields } from "./results/result-backend.js";
export {
  DEFAULT_RESULT_TIMEOUT,
  Missing,
  ResultBackend,
  unwrapResult,
  wrapException,
} from "./results/result-backend.js";
export type { ResultsOptions } from "./results/results.js";
export { Results } from "./results/results.js";
export { StubResultBackend } from "./results/stub-result-backend.js";
export type { GetResultOptions, ResultReader } from "./results/types.js";
export { serialReader } from "./serial-reader.js";
export type { MessageStateOptions } from "./state/message-state.js";
export { MessageState } from "./state/message-state.js";
export { setProgress } from "./state/progress.js";
export type { CheckedListOptions, StateWatch } from "./state/state-backend.js";
export { DEFAULT_STATE_TIMEOUT, isFinished, StateBackend } from "./state/state-backend.js";
export { StubStateBackend } from "./state/stub-state-backend.js";
export type {
  MessageStatus,
  Progress,
  StateChanges,
  StateError,
  StateFilter,
  StateListOptions,
  StateRecord,
  StateUpdate,
  WaitForStateOptions,
} from "./state/types.js";
export { MESSAGE_STATUSES } from "./state/types.js";
export type { OptionCheck } from "./validate.js";
export { describeValue, optionChecks, validateOptions } from "./validate.js";
/** An O(1) queue, for broker implementations. */
export { Fifo } from "./worker/fifo.js";
export type { Settlement, SettleWatcher } from "./worker/settle-watch.js";
export type { StopOptions, WorkerOptions } from "./worker/worker.js";
export { Worker } from "./worker/worker.js";
