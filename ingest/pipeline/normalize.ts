import type { EcsEvent } from '../../core/ecs/event.js';
import type { RawRecord } from '../../core/ingest/record.js';
import { parseSyslog } from '../syslog/parse.js';
import { plainEvent, syslogEvent } from '../syslog/to-ecs.js';
import { httpEvent, markParseFailure } from './events.js';

/**
 * Decodes a record by how it arrived: syslog transports through the syslog parser (a line with
 * no recognisable header is kept, tagged as a parse failure); file lines as syslog when they
 * parse as RFC 5424 or RFC 3164, else as plain text; HTTP as the sender's event with defaults.
 * Vendor parsers will plug in after this step.
 */
export function normalizeRecord(record: RawRecord): EcsEvent {
  switch (record.transport) {
    case 'udp':
    case 'tcp':
    case 'tls': {
      const message = parseSyslog(record.data, { receivedAt: record.receivedAt, timezone: record.timezone ?? 'UTC' });
      const event = syslogEvent(record, message);
      return message.format === 'unknown' ? markParseFailure(event, record, 'syslog_header') : event;
    }
    case 'file': {
      const message = parseSyslog(record.data, { receivedAt: record.receivedAt, timezone: record.timezone ?? 'UTC' });
      return message.format === 'unknown' ? plainEvent(record, record.data.toString('utf8')) : syslogEvent(record, message);
    }
    case 'http':
      return httpEvent(record);
  }
}
