import { PATTERNS } from './patterns.js';
import { CATEGORIES, type Category } from './schema.js';

/** What a classifier says about one message (already cleaned of steering text, see injection.ts). */
export interface Classification {
  classifier: 'builtin' | 'llm';
  /** The LLM's model name, when it answered. */
  model?: string;
  category: Category;
  /** The classifier's own confidence in `category`, 0..1 (independent of the bot's). */
  confidence: number;
  /** Billing only: a contested or unauthorised charge. */
  dispute: boolean;
  /** Urgent category with enough evidence: may escalate even when the bot is unsure. */
  urgent: boolean;
  /** Evidence ids (`category:pattern`), never the matched text. */
  signals: string[];
  /** Set when the LLM was asked and failed: why the built-in answer was used instead. */
  fallback?: string;
}

/** One interface for the built-in classifier and the optional LLM (llm.ts). Must never throw. */
export interface Classifier {
  readonly name: 'builtin' | 'llm';
  classify(text: string): Promise<Classification>;
}

/** Always urgent when they win with enough evidence; billing is urgent only as a dispute. */
export const URGENT_CATEGORIES: ReadonlySet<Category> = new Set<Category>(['refund', 'security', 'legal', 'outage']);
/** A non-general category needs at least this much evidence (one clear signal); less is `general`. */
export const MIN_SCORE = 2;
/** Urgency needs at least one strong (weight 3) signal's worth of evidence. */
export const URGENT_MIN_SCORE = 3;
/** Ties go to the category that is worse to miss. */
const PRECEDENCE: readonly Category[] = ['security', 'legal', 'outage', 'refund', 'billing', 'cancellation', 'bug', 'account', 'general'];
const CONFIDENCE_CAP = 0.95;

export function isUrgent(category: Category, dispute: boolean): boolean {
  return URGENT_CATEGORIES.has(category) || (category === 'billing' && dispute);
}

/** NFKD, accents dropped, lower case, typographic apostrophes straightened, whitespace collapsed. */
export function normalise(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The built-in, deterministic classifier: keyword and pattern weights (patterns.ts). Same text, same answer.
 *
 * - Each pattern counts once; a category's score is the sum of its matched weights.
 * - The highest score wins (ties by PRECEDENCE); a non-general winner needs MIN_SCORE, else `general`.
 * - Confidence: s / (s + r + 1) for a category with score s against the best other score r (one strong
 *   signal alone: 0.75; two: 0.86; a close race stays low); `general`: (s + 1) / (s + r + 2), so a message
 *   with no evidence at all is general at 0.5. Capped at 0.95, two decimals.
 * - urgent = the category is urgent (isUrgent) and its score is at least URGENT_MIN_SCORE.
 */
export function classifyBuiltin(text: string): Classification {
  const t = normalise(text);
  const score = new Map<Category, number>(CATEGORIES.map((c) => [c, 0]));
  const signals: string[] = [];
  let disputeSeen = false;
  for (const pat of PATTERNS) {
    pat.re.lastIndex = 0;
    if (!pat.re.test(t)) continue;
    score.set(pat.category, (score.get(pat.category) ?? 0) + pat.weight);
    signals.push(`${pat.category}:${pat.id}`);
    if (pat.dispute) disputeSeen = true;
  }
  const ranked = [...PRECEDENCE].sort((a, b) => (score.get(b) ?? 0) - (score.get(a) ?? 0));
  const top = ranked.find((c) => c !== 'general')!;
  const category: Category = (score.get(top) ?? 0) >= MIN_SCORE && (score.get(top) ?? 0) >= (score.get('general') ?? 0) ? top : 'general';
  const s = score.get(category) ?? 0;
  const r = Math.max(...CATEGORIES.filter((c) => c !== category).map((c) => score.get(c) ?? 0));
  const raw = category === 'general' ? (s + 1) / (s + r + 2) : s / (s + r + 1);
  const dispute = category === 'billing' && disputeSeen;
  return {
    classifier: 'builtin',
    category,
    confidence: Math.round(Math.min(CONFIDENCE_CAP, raw) * 100) / 100,
    dispute,
    urgent: isUrgent(category, dispute) && s >= URGENT_MIN_SCORE,
    signals,
  };
}

export const builtinClassifier: Classifier = {
  name: 'builtin',
  classify: (text) => Promise.resolve(classifyBuiltin(text)),
};
