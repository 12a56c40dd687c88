/** One private redis-server for the run (see @taskq/test-servers). */
export { redisSetup as default } from "@taskq/test-servers";
