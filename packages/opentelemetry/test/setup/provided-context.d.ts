// What the run's globalSetup provides (see @taskq/test-servers). Declared here as well because
// this package's vitest is a copy of its own: pnpm resolves vitest's optional peer
// @opentelemetry/api to this package's version, and @taskq/test-servers augments the other copy.
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
