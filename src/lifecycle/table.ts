import type { LifecycleState } from '../config/index.js';
import type { DomainEventKind } from '../events/types.js';

export type Support = 'none' | 'needs_support';
/** `new` is the pseudo-state of a customer first seen in this very event. */
export type FromState = LifecycleState | 'new';

/** Named side effects; effects.ts says what each one sends and what it requires when it runs. */
export type EffectName =
  | 'crm_sync'
  | 'slack_new_paying'
  | 'slack_payment_failed'
  | 'slack_churned'
  | 'slack_refund'
  | 'zendesk_ticket'
  | 'email_payment_failed'
  | 'email_trial_ending'
  | 'crm_note';

/**
 * A fact about the customer beyond its state that a rule may require (`when`), supplied by the pipeline:
 * - another_subscription_live: the customer has another Stripe subscription, besides the one this event reports,
 *   whose last known status is trialing, active, past_due or unpaid (the statuses reconcile also counts as live).
 */
export type Condition = 'another_subscription_live';
export const CONDITIONS: readonly Condition[] = ['another_subscription_live'];
/** How the README's table reads a rule's `when`. */
export const CONDITION_TEXT: Readonly<Record<Condition, string>> = { another_subscription_live: 'while another subscription is live' };

export interface Rule {
  name: string;
  on: readonly DomainEventKind[];
  from: readonly FromState[] | 'any';
  /** The rule matches only when this holds; rules without `when` match whatever the conditions. */
  when?: Condition;
  /**
   * The rule also decides a LATE event: one older than an event already applied to the customer (stale through the
   * customer's watermark) yet the newest word on its own Stripe subscription, e.g. a plan switch whose new
   * subscription's events arrive after the old one's deletion. The first matching rule decides; a late event whose
   * first match is not marked stays stale. Marked: the rules that end a churn with a live subscription (trialing,
   * active, past due), whose verdict equals in-order delivery's. Not marked: a late ending (it could churn a customer
   * a newer payment Handoff cannot tie to a subscription, such as a one-off invoice, says is paying) nor a late
   * `active` on past_due (a newer failed payment still stands).
   */
  late?: true;
  /** Next lifecycle; undefined = stays (a `new` customer becomes `lead`). */
  to?: LifecycleState;
  /** Next support state; undefined = unchanged. */
  support?: Support;
  effects: readonly EffectName[];
  why: string;
}

const ALL_BUT_CHURNED: readonly FromState[] = ['new', 'lead', 'trial', 'paid', 'past_due'];

/**
 * THE lifecycle, as data. First matching row wins. An event whose kind has no row for the customer's
 * current state changes nothing and is recorded as ignored with the reason. Backward moves (paid → trial)
 * are absent on purpose: a late `trialing` never demotes a paying customer.
 */
export const STATE_TABLE: readonly Rule[] = [
  { name: 'signup', on: ['user.signed_up'], from: 'any', effects: ['crm_sync'], why: 'a new person becomes a lead' },
  { name: 'profile', on: ['user.updated', 'user.activated'], from: 'any', effects: ['crm_sync'], why: 'profile facts reach the CRM' },
  { name: 'trial_started', on: ['trial.started'], from: ['new', 'lead', 'churned'], late: true, to: 'trial', effects: ['crm_sync'], why: 'trial begins' },
  {
    name: 'first_payment',
    on: ['subscription.active', 'payment.succeeded'],
    from: ['new', 'lead', 'trial', 'churned'],
    late: true,
    to: 'paid',
    effects: ['crm_sync', 'slack_new_paying'],
    why: 'a new paying customer',
  },
  { name: 'recovered', on: ['subscription.active', 'payment.succeeded'], from: ['past_due'], to: 'paid', effects: ['crm_sync'], why: 'a failed payment was recovered' },
  { name: 'renewal', on: ['subscription.active', 'payment.succeeded'], from: ['paid'], effects: [], why: 'still paying; nothing to tell anyone' },
  {
    name: 'payment_failed',
    on: ['payment.failed'],
    from: ALL_BUT_CHURNED,
    to: 'past_due',
    effects: ['crm_sync', 'slack_payment_failed', 'email_payment_failed'],
    why: 'a payment failed: one alert per Stripe event',
  },
  { name: 'past_due', on: ['subscription.past_due'], from: ALL_BUT_CHURNED, to: 'past_due', effects: ['crm_sync'], why: 'Stripe marks the subscription past due' },
  {
    name: 'past_due_after_churn',
    on: ['subscription.past_due'],
    from: ['churned'],
    late: true,
    to: 'past_due',
    effects: ['crm_sync'],
    why: 'a subscription past due is live: the churn was decided without it (its events came late, or before the install)',
  },
  {
    name: 'subscription_ended_others_live',
    on: ['subscription.canceled'],
    from: ['lead', 'trial', 'paid', 'past_due'],
    when: 'another_subscription_live',
    effects: [],
    why: 'one of several subscriptions ended (an add-on, a second product); another is still live, so nothing changes',
  },
  { name: 'churned', on: ['subscription.canceled'], from: ALL_BUT_CHURNED, to: 'churned', effects: ['crm_sync', 'slack_churned'], why: 'the subscription ended' },
  { name: 'trial_ending', on: ['trial.will_end'], from: 'any', effects: ['email_trial_ending'], why: 'the customer hears before the trial ends (only while still trialing)' },
  { name: 'refund', on: ['charge.refunded'], from: 'any', effects: ['slack_refund'], why: 'money went back; the founder hears once' },
  { name: 'support_needed', on: ['support.escalation_requested'], from: 'any', support: 'needs_support', effects: ['crm_sync', 'zendesk_ticket'], why: 'the customer asked for help: one ticket per escalation' },
  { name: 'support_resolved', on: ['support.resolved'], from: 'any', support: 'none', effects: ['crm_sync'], why: 'the request was resolved' },
  { name: 'crm_note', on: ['crm.note_requested'], from: 'any', effects: ['crm_note'], why: "the chatbot's one CRM write: a note property on the contact" },
  { name: 'customer_tagged', on: ['customer.tagged'], from: 'any', effects: [], why: 'the chatbot tagged the customer: timeline only' },
];

/** Merge precedence: the survivor of a merge keeps the most committed lifecycle of the two. */
export const LIFECYCLE_RANK: Readonly<Record<LifecycleState, number>> = { lead: 0, churned: 1, trial: 2, past_due: 3, paid: 4 };
