export { createMetrics, type Metrics, type OutboxStats } from './metrics.js';
export { createLogger, type Logger } from './logger.js';
