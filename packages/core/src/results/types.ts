import type { Message } from "../message.js";

/** Options of `getResult`. */
export interface GetResultOptions {
  /** Wait for the result instead of failing at once with ResultMissing. */
  block?: boolean;
  /** How long to wait, in ms, when blocking. Defaults to 10 s. */
  timeout?: number;
}

/** What `Message.getResult()` needs from a result backend. */
export interface ResultReader {
  /** The stored result of `message`; see `ResultBackend.getResult`. */
  getResult<R>(message: Message<R>, options?: GetResultOptions): Promise<R>;
}
