export { record, recordIn, type RecordDeps, type RecordResult, type Outcome } from './record.js';
export { getLiveCustomer, type CustomerRow } from './customers.js';
