import type { Command } from '../command.js';
import { UsageError } from '../errors.js';

/** The server roles. They keep running: `run` resolves with undefined so the CLI does not exit. */
const role = (name: string, summary: string, roles: { web: boolean; worker: boolean }): Command => ({
  name,
  summary,
  json: false,
  details: 'Configuration comes from environment variables; see README.md ("Configuration"). Stops gracefully on SIGTERM or SIGINT.',
  run: async () => {
    const { serveCommand } = await import('../serve.js');
    await serveCommand(roles);
    return undefined;
  },
});

export const startCommand: Command = {
  ...role('start', 'web server and dispatcher in one process (the default command)', { web: true, worker: true }),
  details: [
    'Configuration comes from environment variables; see README.md ("Configuration"). Stops gracefully on SIGTERM or SIGINT.',
    '',
    'Sandbox: with --sandbox, every connector that has no configuration of its own (HubSpot, Zendesk, Slack,',
    'email, outbound webhook) is pointed at a local emulator, and the start-up lines say where to read what it',
    'would have sent. A quick start with no connector configured and NODE_ENV not production uses the sandbox',
    'by itself (--no-sandbox turns that off). Never in production, never in place of a configured connector.',
  ].join('\n'),
  options: {
    sandbox: { type: 'boolean', description: 'emulate every connector that is not configured (not in production)' },
    'no-sandbox': { type: 'boolean', description: 'never use the sandbox, even on a zero-config quick start' },
  },
  run: async (ctx) => {
    if (ctx.values.sandbox && ctx.values['no-sandbox']) throw new UsageError('--sandbox and --no-sandbox contradict each other');
    const { serveCommand } = await import('../serve.js');
    await serveCommand({ web: true, worker: true }, { sandbox: ctx.values.sandbox ? 'on' : ctx.values['no-sandbox'] ? 'off' : 'auto' });
    return undefined;
  },
};
export const webCommand = role('web', 'HTTP only (run dispatchers separately with "handoff worker")', { web: true, worker: false });
export const workerCommand = role('worker', 'dispatcher only: delivers queued side effects', { web: false, worker: true });
