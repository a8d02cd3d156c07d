import type { EcsEvent } from '../../core/ecs/event.js';
import type { RawRecord } from '../../core/ingest/record.js';
import { applyEnrichers, type Enricher } from '../enrich/enricher.js';
import { PARSERS } from '../parsers/index.js';
import { createRouter, type ParserRouter } from '../parsers/router.js';
import { parseSyslog, type SyslogMessage } from '../syslog/parse.js';
import { plainEvent, syslogEvent } from '../syslog/to-ecs.js';
import { httpEvent, markParseFailure, type Normalizer } from './events.js';

/**
 * Builds the normalizer of the pipeline: decode the transport (syslog header, file line, HTTP
 * event), then hand the text to the vendor parsers (ingest/parsers). A line a parser claims but
 * cannot parse, or a network frame with no syslog header that no parser claims, is stored as it
 * came with the parse-failure tag and reason; a syslog line no vendor parser claims keeps the
 * event the syslog decoder made.
 */
export function createNormalizer(router: ParserRouter): Normalizer {
  return (record: RawRecord): EcsEvent => {
    if (record.transport === 'http') return httpEvent(record);
    const timezone = record.timezone ?? 'UTC';
    const message = parseSyslog(record.data, { receivedAt: record.receivedAt, timezone });
    const hasHeader = message.format !== 'unknown';
    const base = hasHeader ? syslogEvent(record, message) : plainEvent(record, record.data.toString('utf8'));
    const syslog: SyslogMessage | undefined = hasHeader ? message : undefined;
    const outcome = router.route(
      { record, base, text: hasHeader ? message.message : (base.message ?? ''), timezone, ...(syslog ? { syslog } : {}) },
      record.format,
    );
    switch (outcome.kind) {
      case 'parsed': {
        // Object.assign rather than object spread: spreading whole events is slow in V8 and this
        // runs for every parsed record.
        const watchpost = outcome.event.watchpost;
        const parse = Object.assign({}, watchpost?.parse, { parser: outcome.parser });
        return Object.assign({}, outcome.event, { watchpost: Object.assign({}, watchpost, { parse }) });
      }
      case 'failed':
        return markParseFailure({ ...base, watchpost: { ...base.watchpost, parse: { ...base.watchpost?.parse, parser: outcome.parser } } }, record, outcome.reason);
      case 'unclaimed':
        // A file line need not be syslog; a network frame without a header is not understood.
        return hasHeader || record.transport === 'file' ? base : markParseFailure(base, record, 'syslog_header');
    }
  };
}

/** The normalizer with every registered parser. */
export const normalizeRecord: Normalizer = createNormalizer(createRouter(PARSERS));

/** A normalizer whose events then pass through the enrichers (GeoIP, lists), in order. */
export function enrichingNormalizer(normalize: Normalizer, enrichers: readonly Enricher[]): Normalizer {
  if (enrichers.length === 0) return normalize;
  return (record) => applyEnrichers(enrichers, normalize(record));
}
