import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** A real Dramatiq found through `DRAMATIQ_SRC`, ready to run the interop app. */
export interface Dramatiq {
  python: string;
  src: string;
  /** Environment for a Python process that imports the interop app. */
  env(kind: "redis" | "rabbitmq", url: string, out: string): NodeJS.ProcessEnv;
  /** `python interop_app.py send`: Dramatiq sends three messages to taskq's `ts_record`. */
  send(kind: "redis" | "rabbitmq", url: string, out: string): void;
  /** A `dramatiq interop_app` worker process on queue `interop_py`. */
  worker(kind: "redis" | "rabbitmq", url: string, out: string): ChildProcess;
}

const APP_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "dramatiq");

/**
 * The real Dramatiq interop tests run when `DRAMATIQ_SRC` points at a Dramatiq 2.x source
 * tree and a Python (`DRAMATIQ_PYTHON`, default `python3`) with the `redis` and `pika`
 * modules (Debian: python3-redis, python3-pika) can import it. Resolves to a Dramatiq, or to
 * the reason the tests are skipped.
 */
export function findDramatiq(): Dramatiq | string {
  const src = process.env.DRAMATIQ_SRC;
  if (src === undefined || src === "") {
    return "DRAMATIQ_SRC is not set (point it at a Dramatiq 2.x source tree to run a real Dramatiq against taskq)";
  }
  if (!existsSync(join(src, "dramatiq", "__init__.py"))) {
    return `DRAMATIQ_SRC=${src} holds no dramatiq/__init__.py`;
  }
  const python = process.env.DRAMATIQ_PYTHON || "python3";
  const check = spawnSync(
    python,
    ["-c", "import dramatiq, redis, pika, sys; sys.stdout.write(dramatiq.__version__)"],
    { env: { ...process.env, PYTHONPATH: src }, encoding: "utf8" },
  );
  if (check.status !== 0) {
    return `${python} cannot import dramatiq from ${src} with redis and pika: ${check.stderr.trim().split("\n").pop()}`;
  }
  if (!check.stdout.startsWith("2.")) return `Dramatiq ${check.stdout} found; the tests need 2.x`;
  const env = (kind: string, url: string, out: string): NodeJS.ProcessEnv => ({
    ...process.env,
    PYTHONPATH: [APP_DIR, src].join(":"),
    TASKQ_INTEROP_BROKER: kind,
    TASKQ_INTEROP_URL: url,
    TASKQ_INTEROP_OUT: out,
  });
  return {
    python,
    src,
    env,
    send(kind, url, out) {
      const r = spawnSync(python, [join(APP_DIR, "interop_app.py")], {
        env: env(kind, url, out),
        encoding: "utf8",
        timeout: 30_000,
      });
      if (r.status !== 0) throw new Error(`Dramatiq producer failed: ${r.stderr}`);
    },
    worker(kind, url, out) {
      return spawn(
        python,
        [
          "-m",
          "dramatiq",
          "interop_app",
          "--processes",
          "1",
          "--threads",
          "2",
          "--queues",
          "interop_py",
        ],
        { env: env(kind, url, out), stdio: ["ignore", "ignore", "pipe"] },
      );
    },
  };
}
