/**
 * Counts the provider requests one job run makes, so the dispatcher can charge the connector's rate window per
 * request rather than per job (a HubSpot upsert takes one to four requests). The dispatcher passes a fresh meter
 * to each `Connector.run`; a connector adds one per HTTP request it sends. A connector that never counts is
 * charged one call per job, which is exact for single-request connectors.
 *
 * Passed explicitly, not through AsyncLocalStorage: on Node 20, once any AsyncLocalStorage has run, every promise
 * in the process pays for its hooks for good (measured: awaits 2.3-2.5x slower), the request path included.
 */
export interface CallMeter {
  calls: number;
}
