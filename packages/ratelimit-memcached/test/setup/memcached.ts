/** One private memcached for the run (see @taskq/test-servers). */
export { memcachedSetup as default } from "@taskq/test-servers";
