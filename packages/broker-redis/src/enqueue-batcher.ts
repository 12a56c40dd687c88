/**
 * Gathers the messages enqueued on one queue in the same turn of the event loop into one
 * Lua call: a loop of `send()` calls costs one round trip and one script run per chunk
 * instead of one per message. The script stores a chunk atomically, so each message of a
 * chunk shares its outcome.
 */
type Pair = string | Uint8Array;

/** Sends one chunk (id1, data1, id2, data2, ...) to a queue; resolves once Redis stored it. */
export type SendChunk = (queueName: string, pairs: Pair[], what: () => string) => Promise<unknown>;

interface Pending {
  pairs: Pair[];
  /** Message id of the first message, to name a chunk of one in errors. */
  firstId: string;
  done: Promise<unknown> | undefined;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class EnqueueBatcher {
  private readonly pending = new Map<string, Pending>();
  private scheduled = false;

  constructor(
    private readonly sendChunk: SendChunk,
    private readonly chunkSize: number,
  ) {}

  /** Add one message (its Redis id and encoded data); resolves once its chunk is stored. */
  add(queueName: string, messageId: string, id: string, data: Pair): Promise<unknown> {
    let entry = this.pending.get(queueName);
    if (entry === undefined) {
      entry = this.open(queueName, messageId);
    }
    entry.pairs.push(id, data);
    const done = entry.done as Promise<unknown>;
    if (entry.pairs.length >= this.chunkSize * 2) this.send(queueName, entry);
    else if (!this.scheduled) {
      this.scheduled = true;
      // After the current synchronous run (a loop of sends) and before any I/O.
      queueMicrotask(() => this.flush());
    }
    return done;
  }

  /** Send every chunk still gathering (before the connection closes, or at the microtask). */
  flush(): void {
    this.scheduled = false;
    for (const [queueName, entry] of this.pending) this.send(queueName, entry);
  }

  private open(queueName: string, messageId: string): Pending {
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const entry: Pending = { pairs: [], firstId: messageId, done, resolve, reject };
    this.pending.set(queueName, entry);
    return entry;
  }

  private send(queueName: string, entry: Pending): void {
    this.pending.delete(queueName);
    const count = entry.pairs.length / 2;
    const what = () =>
      count === 1
        ? `enqueue message ${entry.firstId} on ${queueName}`
        : `enqueue ${count} messages on ${queueName}`;
    this.sendChunk(queueName, entry.pairs, what).then(entry.resolve, entry.reject);
  }
}
