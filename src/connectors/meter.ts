import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Counts the provider requests one job run makes, so the dispatcher can charge the connector's rate
 * window per request rather than per job (a HubSpot upsert takes one to four requests).
 *
 * The dispatcher runs each connector call inside `runMetered`; a connector calls `countProviderCall()`
 * once per HTTP request it sends. Outside a metered run it does nothing. A connector that never counts
 * is charged one call per job, which is exact for single-request connectors.
 */
export interface CallMeter {
  calls: number;
}

const current = new AsyncLocalStorage<CallMeter>();

export function runMetered<T>(meter: CallMeter, fn: () => Promise<T>): Promise<T> {
  return current.run(meter, fn);
}

export function countProviderCall(): void {
  const meter = current.getStore();
  if (meter) meter.calls++;
}
