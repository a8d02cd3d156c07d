import { ECS_VERSION, type EcsEvent } from '../../../core/ecs/event.js';
import type { SyslogMessage } from '../../syslog/parse.js';
import type { ParseContext } from '../parser.js';

/** A parse context for unit tests: the text as the syslog MSG (or a plain line without `syslog`). */
export function testContext(text: string, options: { timezone?: string; syslog?: Partial<SyslogMessage> } = {}): ParseContext {
  const base: EcsEvent = { '@timestamp': '2026-11-24T12:00:00.000Z', ecs: { version: ECS_VERSION }, event: { original: text } };
  const message: SyslogMessage = { format: 'rfc5424', message: text, anomalies: [], ...options.syslog };
  const syslog = options.syslog === undefined ? {} : { syslog: message };
  return { record: { sourceId: 't', transport: 'udp', data: Buffer.from(text), receivedAt: 0 }, base, text, timezone: options.timezone ?? 'UTC', ...syslog };
}
