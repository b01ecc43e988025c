import type { Command } from '../command.js';
import { CliError } from '../errors.js';
import { json, line } from '../io.js';

/** `handoff demo`: the whole flow in seconds, with no account anywhere. */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'a scripted signup → checkout → failed payment → escalation through the sandbox, and what it caused',
  details: [
    'By default the demo is self-contained: an in-memory database, every connector on the sandbox emulators,',
    'Handoff on a loopback port. It prints each request and its answer, waits until every queued effect has',
    'run, then shows the customer as Handoff sees them and what each tool received. Nothing is left behind.',
    '',
    'With --url it sends the same script to a running Handoff instead (signed with STRIPE_WEBHOOK_SECRET, app',
    'events with HANDOFF_API_KEY); follow it there with "handoff trace ada@demo.example" or the dashboard.',
  ].join('\n'),
  options: { url: { type: 'string', value: 'URL', description: 'send the script to this running Handoff instead' } },
  async run(ctx) {
    const url = ctx.values.url as string | undefined;
    if (url) return sendToServer(ctx, url);
    const { runDemo } = await import('../../sandbox/run-demo.js');
    const { renderTrace } = await import('./trace.js');
    const report = await runDemo({
      onStep: (s) => ctx.json || line(ctx.io, `${s.status === 200 ? '✓' : '✗'} ${s.title}  → ${s.status} ${JSON.stringify(s.body)}`),
      onWait: (n) => ctx.json || !ctx.io.stderrIsTTY || ctx.io.err(`\r\x1b[Kwaiting for ${n} queued effect(s)…`),
    });
    if (ctx.io.stderrIsTTY && !ctx.json) ctx.io.err('\r\x1b[K');
    if (ctx.json) {
      json(ctx.io, report);
    } else {
      line(ctx.io, '');
      for (const l of renderTrace(report.customer)) line(ctx.io, l);
      line(ctx.io, '');
      line(ctx.io, 'What each tool received (sandbox):');
      for (const c of report.sent.hubspot) line(ctx.io, `  HubSpot   contact ${c.email}: lifecyclestage ${c.properties.lifecyclestage ?? '-'}, handoff_lifecycle ${c.properties.handoff_lifecycle ?? '-'}, handoff_support ${c.properties.handoff_support ?? '-'}`);
      for (const t of report.sent.zendesk) line(ctx.io, `  Zendesk   ticket #${t.id} "${t.subject}" (${t.status}, external_id ${t.external_id}, ${t.comments} comment(s))`);
      for (const m of report.sent.slack) line(ctx.io, `  Slack     ${m.split('\n')[0]}`);
      for (const e of report.sent.email) line(ctx.io, `  Email     to ${e.to.join(', ')}: "${e.subject}"`);
      for (const w of report.sent.webhook) line(ctx.io, `  Webhook   ${w.type} (webhook-id ${w.id})`);
      if (!report.settled) line(ctx.io, 'Some effects were still queued when the demo stopped waiting; they are listed in the timeline above.');
    }
    const refused = report.steps.filter((s) => s.status !== 200);
    return refused.length || !report.settled ? 1 : 0;
  },
};

async function sendToServer(ctx: Parameters<Command['run']>[0], url: string): Promise<number> {
  const stripeSecret = ctx.io.env.STRIPE_WEBHOOK_SECRET?.split(',')[0]?.trim();
  const apiKey = ctx.io.env.HANDOFF_API_KEY?.trim();
  if (!stripeSecret || !apiKey) {
    throw new CliError('the demo signs Stripe events and authenticates app events like your real senders would', {
      fix: 'set STRIPE_WEBHOOK_SECRET and HANDOFF_API_KEY to the values the server at --url uses (or run "handoff demo" without --url)',
    });
  }
  const { sendDemo } = await import('../../sandbox/demo.js');
  const steps = await sendDemo({ url: url.replace(/\/+$/, ''), stripeSecret, apiKey }, undefined, (s) =>
    ctx.json || line(ctx.io, `${s.status === 200 ? '✓' : '✗'} ${s.title}  → ${s.status} ${JSON.stringify(s.body)}`),
  );
  if (ctx.json) json(ctx.io, { steps });
  else line(ctx.io, 'Sent. Follow the customer with: handoff trace ada@demo.example');
  return steps.some((s) => s.status !== 200) ? 1 : 0;
}
