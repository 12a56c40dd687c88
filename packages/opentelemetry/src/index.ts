export type { OpenTelemetryOptions } from "./opentelemetry.js";
export { OpenTelemetry } from "./opentelemetry.js";
