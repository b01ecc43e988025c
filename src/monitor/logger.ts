import pino, { type Logger } from 'pino';

/**
 * JSON logs. Invariant: no secret, token, signature, authorization header or message body is ever
 * logged; callers log ids. The redact list is a second line of defence for anything passed by mistake.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'handoff' },
      redact: {
        paths: [
          'headers.authorization',
          'headers["stripe-signature"]',
          'headers["webhook-signature"]',
          'headers["svix-signature"]',
          '*.authorization',
          '*.token',
          '*.secret',
          '*.apiKey',
          '*.accessToken',
          'body',
          'payload',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
export type { Logger };
