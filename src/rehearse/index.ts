/**
 * rehearse/: replays the stored inbox through a candidate state table and HubSpot lifecycle map in a scratch
 * schema and reports what would differ from what actually happened. Nothing leaves (no job is dispatched),
 * reality is only read, and the scratch schema is always dropped. The folder's only door.
 */
export { parseCandidate, CandidateError, EFFECT_NAMES, EVENT_KINDS, LIFECYCLE_STATES, type Candidate, type CandidateFile } from './config.js';
export { rehearse, type RehearsalInput, type RehearsalReport } from './rehearse.js';
export { RehearsalAborted, REPLAY_PAGE, TX_BUDGET_MS, type NotReplayed } from './replay.js';
export type { CustomerDiff, CustomerRef, JobDiff, CrmDiff, DecisionDiff, State } from './diff.js';
export { renderReport } from './render.js';
export { parseSince, candidateOf, currentOf, describeCandidateError, runRehearsal, type Current, type RunOptions } from './service.js';
