/** chatbot/: the action gateway (allowlist, classification, rules, review queue). The folder's only door. */
export { ACTIONS, CATEGORIES, MESSAGE_MAX, NOTE_MAX, noteAndTag, parseActionRequest, isAllowedAction, type ActionRequest, type ChatbotAction, type Category, type Priority } from './schema.js';
export { builtinClassifier, classifyBuiltin, normalise, isUrgent, type Classification, type Classifier } from './classifier.js';
export { createLlmClassifier, endpointOf, SYSTEM_PROMPT, type LlmConfig } from './llm.js';
export { detectSteering, type Steering } from './injection.js';
export { decide, priorityFor, RULES, MIN_CLASSIFIER_CONFIDENCE, type Decision, type DecisionInput, type RuleConfig, type RuleName, type Verdict } from './rules.js';
export { chatbotEscalationId, effectEvent, TICKET_MESSAGE_MAX, type EffectInput } from './effects.js';
export { execute, type Executed } from './execute.js';
export { createGateway, type Gateway, type GatewayDeps, type ActionReply } from './gateway.js';
export { listReview, review, REVIEW_STATES, type ReviewDeps, type ReviewFilter, type ReviewReply } from './review.js';
