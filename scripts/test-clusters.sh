#!/usr/bin/env bash
# The real-cluster suites, opt-in for the default test command because each boots a cluster:
# a local Redis Cluster (3 masters; 6 nodes for the failover test) and a 3-node RabbitMQ
# cluster. Run after scripts/test.sh, which installs the servers and builds the packages.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-servers.sh
TASKQ_REDIS_CLUSTER=1 pnpm exec vitest run \
  --project broker-redis --project results-redis --project ratelimit-redis \
  --project state-redis --project cancel-redis --project scheduler test/cluster
TASKQ_RABBITMQ_CLUSTER=1 pnpm exec vitest run --project broker-rabbitmq test/cluster
