import { type Logger, pino } from 'pino';

export type { Logger };

// Secrets never reach a log line: these paths are censored wherever they appear.
export const REDACT_PATHS = [
  'req.headers["x-api-key"]',
  'req.headers["x-signature"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'apiSecret',
  'secret',
  'token',
  '*.apiSecret',
  '*.secret',
  '*.token',
  'masterKey',
  'privateKey',
  '*.privateKey',
  'mnemonic',
  '*.mnemonic',
  'tronPrivateKey',
  'evmPrivateKey',
  '*.tronPrivateKey',
  '*.evmPrivateKey',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { service: 'novapay' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
