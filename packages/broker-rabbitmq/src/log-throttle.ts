/**
 * Lets at most `burst` lines through per `window` ms and counts the rest: when a node goes
 * down, one failure hits every message in flight at once, and ten thousand identical lines
 * would bury the one that matters. What was held back is reported when the window ends.
 */
export class LogThrottle {
  private readonly burst: number;
  private readonly window: number;
  private readonly emit: (line: string) => void;
  private windowStart = Number.NEGATIVE_INFINITY;
  private used = 0;
  private held = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(burst: number, window: number, emit: (line: string) => void) {
    this.burst = burst;
    this.window = window;
    this.emit = emit;
  }

  /** Log `line` now, or count it if this window's lines are used up. */
  log(line: () => string): void {
    const now = Date.now();
    if (now - this.windowStart >= this.window) {
      this.windowStart = now;
      this.used = 0;
    }
    if (this.used < this.burst) {
      this.used++;
      this.emit(line());
      return;
    }
    this.held++;
    // Timers must not keep a process alive that has nothing else to do.
    this.timer ??= setTimeout(() => this.report(), this.windowStart + this.window - now).unref();
  }

  private report(): void {
    this.timer = undefined;
    const held = this.held;
    this.held = 0;
    if (held > 0) {
      this.emit(`... and ${held} more like it in ${this.window / 1000} s (not shown one by one).`);
    }
  }
}
