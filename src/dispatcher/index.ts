export { Dispatcher, type DispatcherOptions } from './dispatcher.js';
export { decide, backoffMs, isRetryable, RETRYABLE_STATUS, type Verdict, type RetryConfig } from './retry-policy.js';
export { connectorFingerprints, listConnectorStates, type ConnectorStateRow, type ConnectorStatus, type StateReason } from './connector-state.js';
export { windowRoom, WINDOW_SLOTS, HOLD_SLOTS } from './rate-limit.js';
export { DEFAULT_CIRCUIT } from './gate.js';
export type { CircuitConfig } from './circuit.js';
