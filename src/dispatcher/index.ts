export { Dispatcher, type DispatcherOptions } from './dispatcher.js';
export { decide, backoffMs, isRetryable, RETRYABLE_STATUS, type Verdict, type RetryConfig } from './retry-policy.js';
export { loadSnapshots } from './snapshot.js';
