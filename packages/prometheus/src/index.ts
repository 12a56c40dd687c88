export { DURATION_BUCKETS } from "./metrics.js";
export type { PrometheusOptions } from "./prometheus.js";
export { Prometheus } from "./prometheus.js";
export type { ExpositionOptions } from "./server.js";
