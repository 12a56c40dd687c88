/** With TASKQ_REDIS_CLUSTER=1, one 3-master Redis Cluster for the run (see @taskq/test-servers). */
export { redisClusterSetup as default } from "@taskq/test-servers";
