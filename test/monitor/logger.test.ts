import { describe, expect, it } from 'vitest';
import { captureLogger } from '../support/app.js';

describe('logger redaction (the backstop behind "log ids, not payloads")', () => {
  it('censors credentials and bodies passed to it by mistake', () => {
    const { logger, lines } = captureLogger();
    logger.info({
      headers: { authorization: 'Bearer sk_secret_value', 'stripe-signature': 't=1,v1=abcdef0123', 'svix-signature': 'v1,zzz' },
      config: { token: 'tok_123456', secret: 'whsec_hidden', accessToken: 'pat-secret' },
      body: '{"email":"private@example.com"}',
      payload: { email: 'private@example.com' },
      eventId: 'evt_visible',
    });
    const line = lines.join('');
    expect(line).toContain('evt_visible');
    for (const s of ['sk_secret_value', 'abcdef0123', 'zzz', 'tok_123456', 'whsec_hidden', 'pat-secret', 'private@example.com']) expect(line).not.toContain(s);
  });
});
