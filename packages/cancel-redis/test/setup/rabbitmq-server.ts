/** One private RabbitMQ node for the run (see @taskq/test-servers). */
export { rabbitmqSetup as default } from "@taskq/test-servers";
