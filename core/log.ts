import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino redacts wherever they appear in a log record, so secrets from config, credentials
 * and request headers never reach a log. Fixed paths, as pino's redaction is path-based.
 */
export const REDACT_PATHS: readonly string[] = [
  'password',
  '*.password',
  '*.*.password',
  'apiKey',
  '*.apiKey',
  '*.*.apiKey',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'clientSecret',
  '*.clientSecret',
  '*.*.clientSecret',
  '*.*.*.clientSecret',
  'passwordHash',
  '*.passwordHash',
  '*.credentials',
  '*.*.credentials',
  '*.*.*.credentials',
  '*.*.*.*.credentials',
  'credentials',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
];

/** Options of {@link createLogger}. */
export interface LoggerSettings {
  /** @defaultValue "info" */
  readonly level?: string;
  /** Where JSON lines go. @defaultValue stdout */
  readonly destination?: DestinationStream;
  /** Fields bound to every record, e.g. the role. */
  readonly base?: Record<string, unknown>;
}

/** Creates the root logger: JSON lines to stdout, secrets redacted. Components take `logger.child({ component })`. */
export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    base: { service: 'watchpost', ...settings.base },
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

/** A logger that writes nothing, for tests and library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
