import { z } from 'zod';
import type { ConnectorName } from '../connectors/types.js';
import { ConfigError } from '../errors.js';

/**
 * Configuration is parsed ONCE at start-up from the environment into a typed, deep-frozen object.
 * Every missing or invalid variable is reported together in one ConfigError; nothing reads
 * process.env after this.
 */

const csv = z
  .string()
  .optional()
  .transform((v) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean));
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined));
/** Durations and sizes reach SQL as `integer`: 2^31 - 1 is the ceiling. */
const INT4_MAX = 2_147_483_647;
const int = (def: number, min = 0, max = INT4_MAX) => z.coerce.number().int().min(min).max(max).default(def);
const absoluteUrl = z.string().url({ message: 'must be an absolute URL (http:// or https://)' });
const url = () => absoluteUrl.optional();
const RATE = /^\s*(\d+)\s*\/\s*(\d+)\s*(ms|s|m)\s*$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000 } as const;
/** "100/10s" → { tokens: 100, intervalMs: 10000 }. */
const rate = (def: string) =>
  z
    .string()
    .default(def)
    .transform((v, ctx) => {
      const m = RATE.exec(v);
      const tokens = m ? Number(m[1]) : 0;
      const intervalMs = m ? Number(m[2]) * UNIT_MS[m[3] as keyof typeof UNIT_MS] : 0;
      if (!m || tokens < 1 || intervalMs < 1 || tokens > INT4_MAX || intervalMs > INT4_MAX) {
        ctx.addIssue({ code: 'custom', message: 'must look like 100/10s (calls per window; window in ms, s or m)' });
        return z.NEVER;
      }
      return { tokens, intervalMs };
    });
const urlDefault = (def: string) => absoluteUrl.default(def);
const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().default('0.0.0.0'),
  PORT: int(3000, 0, 65535),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: optionalString.pipe(z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://').optional()),
  HANDOFF_DATA_DIR: z.string().default('./.handoff'),
  /** PGlite has no autovacuum: how often the owning process checks for tables to VACUUM / ANALYZE (0: never). */
  PGLITE_MAINTENANCE_MS: int(60_000, 0),
  HANDOFF_ADMIN_TOKEN: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  HANDOFF_API_KEY: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  METRICS_TOKEN: optionalString,
  BODY_LIMIT_BYTES: int(256 * 1024, 1024),

  STRIPE_WEBHOOK_SECRET: csv.pipe(z.array(z.string().startsWith('whsec_', 'each secret must start with whsec_'))),
  /** Read-only API access for backfill and reconcile; a restricted key (`rk_…`) with read scopes is enough. */
  STRIPE_SECRET_KEY: optionalString.pipe(z.string().regex(/^(sk|rk)_/, 'must start with sk_ or rk_ (a secret or restricted key)').optional()),
  STRIPE_API_BASE_URL: urlDefault('https://api.stripe.com'),
  /** Scheduled reconcile (leader-elected); 0 turns it off. Default 6 h; needs STRIPE_SECRET_KEY to compare billing. */
  RECONCILE_INTERVAL_MS: int(21_600_000, 0),
  CLERK_WEBHOOK_SECRET: optionalString.pipe(z.string().startsWith('whsec_', 'must start with whsec_').optional()),

  HUBSPOT_ACCESS_TOKEN: optionalString,
  HUBSPOT_BASE_URL: urlDefault('https://api.hubapi.com'),
  HUBSPOT_LIFECYCLE_MAP: optionalString,
  HUBSPOT_STATE_PROPERTY: z.string().default('handoff_lifecycle'),
  SLACK_WEBHOOK_URL: optionalString.pipe(url()),

  ZENDESK_SUBDOMAIN: optionalString,
  ZENDESK_BASE_URL: optionalString.pipe(url()),
  ZENDESK_EMAIL: optionalString,
  ZENDESK_API_TOKEN: optionalString,
  ZENDESK_WEBHOOK_SECRET: optionalString,

  RESEND_API_KEY: optionalString,
  RESEND_BASE_URL: urlDefault('https://api.resend.com'),
  EMAIL_FROM: optionalString,
  /** Folder with <template>.subject / .txt / .html files; default: the templates shipped in templates/email. */
  EMAIL_TEMPLATES_DIR: optionalString,

  OUTBOUND_WEBHOOK_URL: optionalString.pipe(url()),
  OUTBOUND_WEBHOOK_SECRET: optionalString.pipe(z.string().startsWith('whsec_', 'must start with whsec_').optional()),

  // Chatbot action gateway (src/chatbot). An empty value means the default, never 0.
  CHATBOT_CONFIDENCE_THRESHOLD: z.preprocess(blankToUndefined, z.coerce.number().min(0).max(1).default(0.7)),
  /** Executed actions per customer per trailing hour; 0 sends every action to review. */
  CHATBOT_ACTIONS_PER_HOUR: z.preprocess(blankToUndefined, int(5, 0, 10_000)),
  /** OpenAI-compatible base URL (…/v1); unset = the built-in classifier only. */
  CLASSIFIER_URL: optionalString.pipe(url()),
  CLASSIFIER_API_KEY: optionalString,
  CLASSIFIER_MODEL: optionalString.pipe(z.string().default('gpt-4o-mini')),
  CLASSIFIER_TIMEOUT_MS: z.preprocess(blankToUndefined, int(3000, 100, 60_000)),

  // Per-connector token buckets, "<calls>/<window>" (window: 500ms, 10s, 1m). Shared by every worker.
  HUBSPOT_RATE_LIMIT: rate('100/10s'),
  SLACK_RATE_LIMIT: rate('1/1s'),
  RESEND_RATE_LIMIT: rate('2/1s'),
  ZENDESK_RATE_LIMIT: rate('200/1m'),
  OUTBOUND_WEBHOOK_RATE_LIMIT: rate('10/1s'),
  /** Consecutive retryable failures that open a connector's circuit, and how long it stays open. */
  CIRCUIT_FAILURE_THRESHOLD: int(5, 1),
  CIRCUIT_COOLDOWN_MS: int(30_000, 100),

  HTTP_TIMEOUT_MS: int(10_000, 100),
  DISPATCH_CONCURRENCY: int(32, 1),
  DISPATCH_BATCH_SIZE: int(32, 1),
  DISPATCH_POLL_MS: int(1000, 10),
  DISPATCH_CLAIM_GAP_MS: int(20, 0),
  /** Unset: DISPATCH_BATCH_SIZE on PostgreSQL, 0 on PGlite (dispatcher.ts says why). */
  DISPATCH_PREFETCH: z.preprocess(blankToUndefined, z.coerce.number().int().min(0).max(INT4_MAX).optional()),
  JOB_LEASE_MS: int(30_000, 1000),
  JOB_MAX_ATTEMPTS: int(12, 1),
  JOB_MAX_AGE_HOURS: z.coerce.number().positive().default(72),
  RETRY_BASE_MS: int(1000, 1),
  RETRY_MAX_MS: int(3_600_000, 1),

  // Alert rules (src/monitor/alerts). 0 disables the evaluator (e.g. when Prometheus alerts instead).
  ALERT_EVAL_INTERVAL_MS: int(30_000, 0),
  /** A fraction (0.02) or a percentage ("2%"). */
  ALERT_WEBHOOK_FAILURE_RATE: z
    .string()
    .default('0.02')
    .transform((v, ctx) => {
      const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(v);
      const n = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
      if (!(n >= 0 && n < 1)) {
        ctx.addIssue({ code: 'custom', message: 'must be a fraction below 1 (0.02) or a percentage below 100 (2%)' });
        return z.NEVER;
      }
      return n;
    }),
  ALERT_WEBHOOK_WINDOW_MS: int(900_000, 1000),
  ALERT_OLDEST_PENDING_MS: int(600_000, 1),
  ALERT_TICKET_FAILURES: int(3, 1),
  ALERT_PAYMENT_RECOVERY_MS: int(86_400_000, 1),
  ALERT_SIGNUP_CRM_MS: int(600_000, 1),
  UPTIME_URLS: csv.pipe(z.array(absoluteUrl)),
  UPTIME_INTERVAL_MS: int(60_000, 10),
  UPTIME_FAILURES: int(3, 1),
  ALERT_EMAIL_TO: csv.pipe(z.array(z.string().regex(/^[^\s@,]+@[^\s@,]+$/, 'each address must look like name@example.com'))),
});

export type LifecycleState = 'lead' | 'trial' | 'paid' | 'past_due' | 'churned';
const LIFECYCLE: LifecycleState[] = ['lead', 'trial', 'paid', 'past_due', 'churned'];

/** HubSpot lifecyclestage per Handoff state. Stages never move backwards in HubSpot; our state goes to a custom property. */
export const DEFAULT_HUBSPOT_LIFECYCLE_MAP: Readonly<Record<LifecycleState, string>> = Object.freeze({
  lead: 'lead',
  trial: 'opportunity',
  paid: 'customer',
  past_due: 'customer',
  churned: 'customer',
});

export interface RateLimit {
  tokens: number;
  intervalMs: number;
}

export interface AppConfig {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  logLevel: string;
  database: { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string };
  /** PGlite only: interval of the VACUUM / ANALYZE check (db/maintenance.ts); 0 = off. */
  pgliteMaintenanceMs: number;
  adminToken?: string;
  bootstrapApiKey?: string;
  metricsToken?: string;
  bodyLimitBytes: number;
  /** `api` only when STRIPE_SECRET_KEY is set (backfill, reconcile). */
  stripe: { webhookSecrets: string[]; api?: { secretKey: string; baseUrl: string } };
  reconcile: { intervalMs: number };
  clerk: { webhookSecret?: string };
  hubspot?: { accessToken: string; baseUrl: string; lifecycleMap: Record<LifecycleState, string>; stateProperty: string };
  slack?: { webhookUrl: string };
  zendesk?: { baseUrl: string; email: string; apiToken: string };
  /** Verifies POST /api/webhooks/zendesk; independent of the API connector. */
  zendeskWebhook: { secret?: string };
  /** Resend. `templatesDir` undefined = the shipped templates. */
  email?: { apiKey: string; baseUrl: string; from: string; templatesDir?: string };
  /** The founder's own endpoint for signed lifecycle/support changes. */
  outbound?: { url: string; secret: string };
  /** The chatbot gateway's rules; `classifier` set = the LLM classifier (falls back to the built-in one). */
  chatbot: {
    confidenceThreshold: number;
    actionsPerHour: number;
    classifier?: { url: string; apiKey?: string; model: string; timeoutMs: number };
  };
  rateLimits: Readonly<Record<ConnectorName, RateLimit>>;
  circuit: { failureThreshold: number; cooldownMs: number };
  http: { timeoutMs: number };
  /** Alert rules; thresholds in ms unless named otherwise. `evalIntervalMs` 0 = evaluator off. */
  alerts: {
    evalIntervalMs: number;
    webhookFailureRate: number;
    webhookWindowMs: number;
    oldestPendingMs: number;
    ticketFailures: number;
    paymentRecoveryMs: number;
    signupCrmMs: number;
    uptime: { urls: string[]; intervalMs: number; failures: number };
    /** Alert emails (through the email connector) go here; empty = Slack only. */
    emailTo: string[];
  };
  dispatcher: {
    concurrency: number;
    batchSize: number;
    pollMs: number;
    /** After a claim that found fewer jobs than it asked for, the next claim waits until this long after it. */
    claimGapMs: number;
    /**
     * Jobs claimed ahead of a free slot, started the moment one frees (0 = a claim only fills free slots).
     * Undefined: the dispatcher picks by engine (batchSize on PostgreSQL, 0 on PGlite).
     */
    prefetch: number | undefined;
    leaseMs: number;
    maxAttempts: number;
    maxAgeMs: number;
    retryBaseMs: number;
    retryMaxMs: number;
  };
}

function parseLifecycleMap(raw: string | undefined, problems: string[]): Record<LifecycleState, string> {
  const map = { ...DEFAULT_HUBSPOT_LIFECYCLE_MAP };
  if (!raw) return map;
  for (const pair of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [state, stage] = pair.split('=').map((s) => s?.trim());
    if (!state || !stage || !LIFECYCLE.includes(state as LifecycleState)) {
      problems.push(`HUBSPOT_LIFECYCLE_MAP: "${pair}" must be state=stage with state one of ${LIFECYCLE.join(', ')}`);
      continue;
    }
    map[state as LifecycleState] = stage;
  }
  return map;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** A raw variable counts as "set" when it is a non-empty string after trimming. */
const isSet = (v: string | undefined): v is string => typeof v === 'string' && v.trim() !== '';

/**
 * Cross-field rules, checked on the RAW environment so they run even when some variables fail to
 * parse: every problem is reported at once. A present-but-invalid value is zod's to report; here
 * it counts as set, so it is never also reported as missing. Messages name variables, never values.
 */
function crossFieldProblems(env: Record<string, string | undefined>, problems: string[]): void {
  // A connector is enabled when ALL its variables are set; a partial set is a mistake, not "off".
  const group = (name: string, vars: Record<string, boolean>): void => {
    const entries = Object.entries(vars);
    const set = entries.filter(([, on]) => on).map(([k]) => k);
    if (set.length === 0 || set.length === entries.length) return;
    const missing = entries.filter(([, on]) => !on).map(([k]) => k);
    problems.push(`${name} is partially configured: set ${missing.join(', ')} (or unset ${set.join(', ')})`);
  };
  group('HubSpot', { HUBSPOT_ACCESS_TOKEN: isSet(env.HUBSPOT_ACCESS_TOKEN) });
  group('Zendesk', {
    'ZENDESK_SUBDOMAIN or ZENDESK_BASE_URL': isSet(env.ZENDESK_BASE_URL) || isSet(env.ZENDESK_SUBDOMAIN),
    ZENDESK_EMAIL: isSet(env.ZENDESK_EMAIL),
    ZENDESK_API_TOKEN: isSet(env.ZENDESK_API_TOKEN),
  });
  group('Email (Resend)', { RESEND_API_KEY: isSet(env.RESEND_API_KEY), EMAIL_FROM: isSet(env.EMAIL_FROM) });
  group('Outbound webhook', { OUTBOUND_WEBHOOK_URL: isSet(env.OUTBOUND_WEBHOOK_URL), OUTBOUND_WEBHOOK_SECRET: isSet(env.OUTBOUND_WEBHOOK_SECRET) });
  if (isSet(env.CLASSIFIER_API_KEY) && !isSet(env.CLASSIFIER_URL)) problems.push('CLASSIFIER_API_KEY is set without CLASSIFIER_URL: set the URL (or unset the key)');

  parseLifecycleMap(isSet(env.HUBSPOT_LIFECYCLE_MAP) ? env.HUBSPOT_LIFECYCLE_MAP.trim() : undefined, problems);

  if (env.NODE_ENV === 'production') {
    const stripeSecrets = (env.STRIPE_WEBHOOK_SECRET ?? '').split(',').filter((s) => s.trim() !== '');
    if (stripeSecrets.length === 0) problems.push('STRIPE_WEBHOOK_SECRET: required when NODE_ENV=production');
    if (!isSet(env.HANDOFF_ADMIN_TOKEN)) problems.push('HANDOFF_ADMIN_TOKEN: required when NODE_ENV=production');
  }

  if (isSet(env.ALERT_EMAIL_TO) && !(isSet(env.RESEND_API_KEY) && isSet(env.EMAIL_FROM))) {
    problems.push('ALERT_EMAIL_TO needs the email connector: set RESEND_API_KEY and EMAIL_FROM (or unset ALERT_EMAIL_TO)');
  }

  // A lease that can expire during one provider call lets a second worker run the same job.
  // Compared only when both parse; otherwise zod has already named the bad one.
  const lease = EnvSchema.shape.JOB_LEASE_MS.safeParse(env.JOB_LEASE_MS);
  const timeout = EnvSchema.shape.HTTP_TIMEOUT_MS.safeParse(env.HTTP_TIMEOUT_MS);
  if (lease.success && timeout.success && lease.data <= timeout.data) {
    problems.push(`JOB_LEASE_MS must be greater than HTTP_TIMEOUT_MS (${lease.data} <= ${timeout.data})`);
  }
}

/** Parse the environment. Throws ONE ConfigError naming every problem. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const parsed = EnvSchema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.') || '(env)'}: ${issue.message}`);
  }
  crossFieldProblems(env, problems);
  if (!parsed.success || problems.length) throw new ConfigError([...new Set(problems)]);
  const e = parsed.data;

  const hubspotOn = e.HUBSPOT_ACCESS_TOKEN !== undefined;
  const zendeskBase = e.ZENDESK_BASE_URL ?? (e.ZENDESK_SUBDOMAIN ? `https://${e.ZENDESK_SUBDOMAIN}.zendesk.com` : undefined);
  const zendeskOn = zendeskBase !== undefined && e.ZENDESK_EMAIL !== undefined && e.ZENDESK_API_TOKEN !== undefined;
  const lifecycleMap = parseLifecycleMap(e.HUBSPOT_LIFECYCLE_MAP, []);

  return deepFreeze<AppConfig>({
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    database: e.DATABASE_URL ? { kind: 'postgres', url: e.DATABASE_URL } : { kind: 'pglite', dataDir: e.HANDOFF_DATA_DIR },
    pgliteMaintenanceMs: e.PGLITE_MAINTENANCE_MS,
    adminToken: e.HANDOFF_ADMIN_TOKEN,
    bootstrapApiKey: e.HANDOFF_API_KEY,
    metricsToken: e.METRICS_TOKEN,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    stripe: {
      webhookSecrets: e.STRIPE_WEBHOOK_SECRET,
      api: e.STRIPE_SECRET_KEY ? { secretKey: e.STRIPE_SECRET_KEY, baseUrl: e.STRIPE_API_BASE_URL.replace(/\/+$/, '') } : undefined,
    },
    reconcile: { intervalMs: e.RECONCILE_INTERVAL_MS },
    clerk: { webhookSecret: e.CLERK_WEBHOOK_SECRET },
    hubspot: hubspotOn
      ? { accessToken: e.HUBSPOT_ACCESS_TOKEN!, baseUrl: e.HUBSPOT_BASE_URL.replace(/\/+$/, ''), lifecycleMap, stateProperty: e.HUBSPOT_STATE_PROPERTY }
      : undefined,
    slack: e.SLACK_WEBHOOK_URL ? { webhookUrl: e.SLACK_WEBHOOK_URL } : undefined,
    zendesk: zendeskOn ? { baseUrl: zendeskBase!.replace(/\/+$/, ''), email: e.ZENDESK_EMAIL!, apiToken: e.ZENDESK_API_TOKEN! } : undefined,
    zendeskWebhook: { secret: e.ZENDESK_WEBHOOK_SECRET },
    email:
      e.RESEND_API_KEY && e.EMAIL_FROM
        ? { apiKey: e.RESEND_API_KEY, baseUrl: e.RESEND_BASE_URL.replace(/\/+$/, ''), from: e.EMAIL_FROM, templatesDir: e.EMAIL_TEMPLATES_DIR }
        : undefined,
    outbound: e.OUTBOUND_WEBHOOK_URL && e.OUTBOUND_WEBHOOK_SECRET ? { url: e.OUTBOUND_WEBHOOK_URL, secret: e.OUTBOUND_WEBHOOK_SECRET } : undefined,
    chatbot: {
      confidenceThreshold: e.CHATBOT_CONFIDENCE_THRESHOLD,
      actionsPerHour: e.CHATBOT_ACTIONS_PER_HOUR,
      classifier: e.CLASSIFIER_URL
        ? { url: e.CLASSIFIER_URL.replace(/\/+$/, ''), apiKey: e.CLASSIFIER_API_KEY, model: e.CLASSIFIER_MODEL, timeoutMs: e.CLASSIFIER_TIMEOUT_MS }
        : undefined,
    },
    rateLimits: {
      hubspot: e.HUBSPOT_RATE_LIMIT,
      slack: e.SLACK_RATE_LIMIT,
      email: e.RESEND_RATE_LIMIT,
      zendesk: e.ZENDESK_RATE_LIMIT,
      webhook: e.OUTBOUND_WEBHOOK_RATE_LIMIT,
    },
    circuit: { failureThreshold: e.CIRCUIT_FAILURE_THRESHOLD, cooldownMs: e.CIRCUIT_COOLDOWN_MS },
    http: { timeoutMs: e.HTTP_TIMEOUT_MS },
    alerts: {
      evalIntervalMs: e.ALERT_EVAL_INTERVAL_MS,
      webhookFailureRate: e.ALERT_WEBHOOK_FAILURE_RATE,
      webhookWindowMs: e.ALERT_WEBHOOK_WINDOW_MS,
      oldestPendingMs: e.ALERT_OLDEST_PENDING_MS,
      ticketFailures: e.ALERT_TICKET_FAILURES,
      paymentRecoveryMs: e.ALERT_PAYMENT_RECOVERY_MS,
      signupCrmMs: e.ALERT_SIGNUP_CRM_MS,
      uptime: { urls: e.UPTIME_URLS, intervalMs: e.UPTIME_INTERVAL_MS, failures: e.UPTIME_FAILURES },
      emailTo: e.ALERT_EMAIL_TO,
    },
    dispatcher: {
      concurrency: e.DISPATCH_CONCURRENCY,
      batchSize: e.DISPATCH_BATCH_SIZE,
      pollMs: e.DISPATCH_POLL_MS,
      claimGapMs: e.DISPATCH_CLAIM_GAP_MS,
      prefetch: e.DISPATCH_PREFETCH,
      leaseMs: e.JOB_LEASE_MS,
      maxAttempts: e.JOB_MAX_ATTEMPTS,
      maxAgeMs: Math.round(e.JOB_MAX_AGE_HOURS * 3_600_000),
      retryBaseMs: e.RETRY_BASE_MS,
      retryMaxMs: e.RETRY_MAX_MS,
    },
  });
}
