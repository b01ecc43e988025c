import type { KeySummary } from '../../admin/index.js';
import { ALL_SCOPES } from '../../ingest/api-key.js';
import { list, str } from '../args.js';
import type { Command } from '../command.js';
import { SERVER_OPTION, WHERE_DATA_COMES_FROM, withData } from '../context.js';
import { table, timestamp } from '../format.js';
import { json, line } from '../io.js';
import { usage } from './jobs.js';

/** `handoff keys create`: a new API key, printed ONCE (only its SHA-256 hash is stored). */
export const keysCreateCommand: Command = {
  name: 'keys create',
  summary: 'create an API key for your app or chatbot; it is shown once',
  usage: '--name NAME --scope SCOPE[,SCOPE]',
  details: `Scopes: ${ALL_SCOPES.join(', ')}. Handoff stores only the key's SHA-256 hash: copy the key now.\n\n${WHERE_DATA_COMES_FROM}`,
  options: {
    name: { type: 'string', value: 'NAME', description: 'what the key is for, e.g. "web app production"' },
    scope: { type: 'string', value: 'SCOPES', multiple: true, description: `comma-separated, or repeated: ${ALL_SCOPES.join(', ')}` },
    ...SERVER_OPTION,
  },
  async run(ctx) {
    const { parseNewKey } = await import('../../admin/keys.js');
    const input = usage(() => parseNewKey({ name: str(ctx.values, 'name'), scopes: list(ctx.values, 'scope') }));
    return withData(ctx, async (data) => {
      const { key, apiKey } = await data.createKey(input);
      if (ctx.json) {
        json(ctx.io, { key, apiKey });
        return 0;
      }
      line(ctx.io, key);
      ctx.io.err(`created API key ${apiKey.id} "${apiKey.name}" (scopes ${apiKey.scopes.join(', ')}). It is shown only this once: Handoff keeps its hash.\n`);
      return 0;
    });
  },
};

export const keysListCommand: Command = {
  name: 'keys list',
  summary: 'list API keys (never the keys themselves)',
  details: WHERE_DATA_COMES_FROM,
  options: { ...SERVER_OPTION },
  async run(ctx) {
    return withData(ctx, async (data) => {
      const keys = await data.listKeys();
      if (ctx.json) {
        json(ctx.io, { keys });
        return 0;
      }
      if (keys.length === 0) {
        line(ctx.io, 'no API keys: create one with handoff keys create --name NAME --scope events:write');
        return 0;
      }
      for (const l of renderKeys(keys)) line(ctx.io, l);
      return 0;
    });
  },
};

/** `handoff keys` alone lists them. */
export const keysCommand: Command = { ...keysListCommand, name: 'keys', summary: 'API keys: keys list | keys create | keys revoke' };

export const keysRevokeCommand: Command = {
  name: 'keys revoke',
  summary: 'revoke an API key by id or prefix; requests with it get 401 at once',
  usage: '<id | prefix>',
  positionals: [1, 1],
  details: WHERE_DATA_COMES_FROM,
  options: { ...SERVER_OPTION },
  async run(ctx) {
    return withData(ctx, async (data) => {
      const apiKey = await data.revokeKey(ctx.positionals[0]!);
      if (ctx.json) json(ctx.io, { apiKey });
      else line(ctx.io, `revoked API key ${apiKey.id} "${apiKey.name}" (${apiKey.prefix}…) at ${timestamp(apiKey.revokedAt!)}`);
      return 0;
    });
  },
};

function renderKeys(keys: KeySummary[]): string[] {
  return table([
    ['id', 'prefix', 'name', 'scopes', 'created', 'state'],
    ...keys.map((k) => [
      k.id,
      `${k.prefix}…`,
      k.name,
      k.scopes.join(','),
      timestamp(k.createdAt),
      k.revokedAt ? `revoked ${timestamp(k.revokedAt)}` : 'live',
    ]),
  ]);
}
