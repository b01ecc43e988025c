import type { AppConfig } from '../config/index.js';

/** Where each identity lives, for the customer page. */
export const IDENTITY_LABELS: Readonly<Record<string, { system: string; label: string }>> = {
  email: { system: 'Handoff', label: 'Email' },
  stripe_customer: { system: 'Stripe', label: 'Customer' },
  app_user: { system: 'App', label: 'User id' },
  clerk_user: { system: 'Auth (Clerk)', label: 'User' },
  hubspot_contact: { system: 'CRM (HubSpot)', label: 'Contact' },
  zendesk_user: { system: 'Helpdesk (Zendesk)', label: 'User' },
  zendesk_ticket: { system: 'Helpdesk (Zendesk)', label: 'Ticket' },
};

export interface LinkContext {
  zendeskBaseUrl?: string;
  /** From the customer's latest Stripe event: false → the test-mode dashboard; unknown → live. */
  stripeLive?: boolean;
}

export const linkContext = (config: AppConfig, stripeLive?: boolean): LinkContext => ({ zendeskBaseUrl: config.zendesk?.baseUrl, stripeLive });

/**
 * The provider's own page for an identity, when Handoff knows enough to build it. The value is always
 * URL-encoded into a path segment of a fixed https (or configured) origin, so no identity can turn a
 * link into another scheme or host. HubSpot record URLs need the portal id, which Handoff does not know.
 */
export function providerUrl(kind: string, value: string, ctx: LinkContext): string | undefined {
  const v = encodeURIComponent(value);
  switch (kind) {
    case 'stripe_customer':
      return `https://dashboard.stripe.com/${ctx.stripeLive === false ? 'test/' : ''}customers/${v}`;
    case 'zendesk_ticket':
      return ctx.zendeskBaseUrl ? `${ctx.zendeskBaseUrl}/agent/tickets/${v}` : undefined;
    case 'zendesk_user':
      return ctx.zendeskBaseUrl ? `${ctx.zendeskBaseUrl}/agent/users/${v}` : undefined;
    default:
      return undefined;
  }
}
