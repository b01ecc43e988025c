export { STATE_TABLE, LIFECYCLE_RANK, CONDITIONS, type Condition, type Rule, type EffectName, type FromState, type Support } from './table.js';
export { transition, mergeLifecycle, type Arrival, type CustomerState, type Decision } from './transition.js';
export { jobsFor, unmetRequirement, PER_EVENT_EFFECTS, type FollowUp, type JobPayload, type JobSpec, type Requirement } from './effects.js';
export { outboundChange, CUSTOMER_UPDATED, type ChangeInput, type StateOf } from './change-effects.js';
export { decisionContext, renderStateTable } from './render.js';
