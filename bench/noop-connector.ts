import type { Connector, ConnectorName, ConnectorResult } from '../src/connectors/types.js';

/**
 * A connector that succeeds at once without any I/O: what is left of a dispatch is the dispatcher's own
 * work (claim, customer snapshot, requirement check, completion). `calls` counts runs, so a benchmark
 * knows when every job has run; `onRun` lets it stop a clock at the last one.
 */
export class NoopConnector implements Connector {
  calls = 0;
  onRun?: (calls: number) => void;
  constructor(readonly name: ConnectorName = 'webhook') {}

  run(): Promise<ConnectorResult> {
    this.calls++;
    this.onRun?.(this.calls);
    return Promise.resolve({ status: 'done' });
  }
}
