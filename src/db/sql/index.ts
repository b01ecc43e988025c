import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * One statement per file, named by its verb. Loaded once at import; a missing file fails at start-up,
 * not at the first request that needs it.
 */
const NAMES = [
  'acceptInboxEvent',
  'applyEvent',
  'claimJobs',
  'countJobsByStatus',
  'deleteWorker',
  'extendLeases',
  'findApiKey',
  'findCustomerRef',
  'finishJobs',
  'getCustomer',
  'heartbeat',
  'insertApiKey',
  'insertBootstrapKey',
  'insertJobNotes',
  'linkProviderIdentities',
  'listCustomerJobs',
  'listIdentities',
  'listTimeline',
  'liveWorkers',
  'lockCustomers',
  'markMerged',
  'moveIdentities',
  'moveInboxEvents',
  'moveJobs',
  'moveTimeline',
  'queueFollowUps',
  'resolveIdentities',
  'snapshotCustomers',
] as const;

export type SqlName = (typeof NAMES)[number];

const dir = fileURLToPath(new URL('./', import.meta.url));
export const sql: Readonly<Record<SqlName, string>> = Object.freeze(
  Object.fromEntries(NAMES.map((n) => [n, readFileSync(`${dir}${n}.sql`, 'utf8')])) as Record<SqlName, string>,
);
