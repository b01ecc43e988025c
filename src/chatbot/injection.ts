/**
 * Steering detection: text in the user's message that addresses the SYSTEM instead of asking for help
 * ("ignore previous instructions…", "you are now…", "mark this as urgent", fake role tags). Pure.
 *
 * Invariant: steering text never raises an action's standing. Each match is
 *   - removed from the text before classification (its words are never category evidence, so
 *     "classify this as security" cannot make a message `security`), and
 *   - a reason for review: the decision rules send any action carrying it to `needs_review`
 *     (rules.ts, rule `prompt_injection`), whatever the bot's confidence or the category.
 * Patterns run on the ORIGINAL text (case-insensitive, accents spelled out), so the cleaned text keeps the
 * user's own words for the classifier and the LLM. False positives cost a review, never an action.
 */
export interface Steering {
  detected: boolean;
  /** Pattern ids that matched (stored with the decision; the matched text itself is not). */
  kinds: string[];
  /** The message with every steering span replaced by a space. */
  cleaned: string;
}

const OVERRIDE_VERBS = 'ignore|ignoring|disregard|forget|override|bypass|ignora|ignorez|ignoriere|olvida|vergiss|oublie';
const TARGETS =
  'instructions?|prompts?|rules|directives|guidelines|context|polic(?:y|ies)|filters?|restrictions|guardrails|programming|instrucciones|reglas|anweisungen|regeln|consignes';

const STEERING: ReadonlyArray<{ id: string; re: RegExp }> = [
  // "ignore (all) (previous|prior|above) instructions", "disregard your rules", "ignora las instrucciones anteriores"
  { id: 'override_instructions', re: new RegExp(`\\b(?:${OVERRIDE_VERBS})\\b[^.!?\\n]{0,60}?\\b(?:${TARGETS})\\b(?:[^.!?\\n]{0,30}?\\b(?:anteriores|previas|vorherigen|precedentes|précédentes)\\b)?`, 'giu') },
  // role play and persona switches
  { id: 'persona', re: /\b(?:you are now|you're now|from now on,? you|act as (?:an? |the )?(?:admin|administrator|developer|system|root|supervisor|manager|different)|pretend (?:to be|you are)|roleplay as|switch to (?:developer|admin|god) mode)\b[^.!?\n]{0,60}/giu },
  { id: 'jailbreak', re: /\b(?:system prompt|developer mode|jailbreak|jail ?broken|do anything now|dan mode|god mode|prompt injection|hidden instructions?)\b/giu },
  // fake chat-template and role markers
  { id: 'role_markup', re: /<\|?\/?(?:im_start|im_end|system|endoftext|assistant|user)\|?>|\[\/?(?:system|inst|admin)\]|#{2,}\s*(?:system|instructions?)\b|(?:^|\n)\s*(?:system|assistant|developer)\s*:/giu },
  // attempts to set the bot's verdict or priority ("mark this as urgent", "set priority to high", "classify it as security")
  {
    id: 'verdict_steering',
    re: /\b(?:mark|flag|classify|label|categori[sz]e|tag|set|rate|escalate|route)\b[^.!?\n]{0,25}?\b(?:as|to)\s+(?:an?\s+)?(?:urgent|high[- ]priority|top priority|priority|critical|p0|p1|security(?: issue)?|legal(?: issue)?|emergency|refund)\b/giu,
  },
  { id: 'approve_steering', re: /\b(?:auto[- ]?approve|approve (?:it|this|my \w+) (?:automatically|immediately|now|without review)|without (?:any )?(?:human )?review|skip (?:the )?review|no need (?:for|to) review)\b/giu },
  // claimed authority over the bot
  { id: 'authority_claim', re: /\b(?:i am|i'm|this is) (?:the|an?|your) (?:admin|administrator|developer|owner|ceo|founder|operator|creator) (?:of|here|speaking|of this (?:bot|app|system))\b/giu },
];

export function detectSteering(text: string): Steering {
  const kinds: string[] = [];
  let cleaned = text;
  for (const { id, re } of STEERING) {
    re.lastIndex = 0;
    const next = cleaned.replace(re, ' ');
    if (next !== cleaned) kinds.push(id);
    cleaned = next;
  }
  return { detected: kinds.length > 0, kinds, cleaned };
}
