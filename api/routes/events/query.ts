import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { Clock } from '../../../core/clock.js';
import type { FilterNode } from '../../../core/query/filter.js';
import type { EventQuery } from '../../../core/stores/event-store.js';
import { kqlErrorPosition, MAX_KQL_BYTES, parseKql } from '../../../engine/query/kql.js';

/** The range searched when `from` is not given: the last 24 hours, as `watchpost search` does. */
export const DEFAULT_RANGE_MS = 24 * 3_600_000;

/** An instant: an ISO-8601 date or date-time (UTC without an offset). */
export const instantSchema = (description: string) => Type.String({ minLength: 10, maxLength: 40, pattern: '^\\d{4}-\\d{2}-\\d{2}', description });

/** The KQL query parameter. */
export const KqlParam = Type.String({ default: '', maxLength: MAX_KQL_BYTES, description: 'A KQL query (docs/search.md); empty matches all.' });

/** The body of a 400 or 503 of the events routes: a query that does not parse carries where. */
export const EventsError = Type.Object({
  error: Type.String(),
  code: Type.Optional(Type.String()),
  message: Type.String(),
  line: Type.Optional(Type.Integer()),
  column: Type.Optional(Type.Integer()),
});

/** The UTC instant of an ISO-8601 date or date-time; one without an offset is UTC, as the CLI reads it. */
function instant(value: string): number {
  const iso = value.replace(' ', 'T');
  return Date.parse(iso.length === 10 ? `${iso}T00:00:00Z` : /(Z|[+-]\d{2}:?\d{2})$/i.test(iso) ? iso : `${iso}Z`);
}

/**
 * The store query of `q`, `from` and `to` (default: the 24 hours before now), or undefined after
 * answering 400: a query that does not parse (with the parser's message, `line` and `column`,
 * 1-based), an unreadable instant, or `from` not before `to`.
 */
export function eventQueryOf(
  params: { readonly q: string; readonly from?: string | undefined; readonly to?: string | undefined },
  clock: Clock,
  reply: FastifyReply,
): EventQuery | undefined {
  let filter: FilterNode;
  try {
    filter = parseKql(params.q);
  } catch (error) {
    const position = kqlErrorPosition(error);
    if (position === undefined) throw error;
    void reply.code(400).send({ error: 'bad_request', code: 'WATCHPOST_ERR_QUERY_SYNTAX', message: (error as Error).message, ...position });
    return undefined;
  }
  const to = params.to === undefined ? clock.now() : instant(params.to);
  const from = params.from === undefined ? to - DEFAULT_RANGE_MS : instant(params.from);
  if (Number.isNaN(from) || Number.isNaN(to)) {
    void reply.code(400).send({ error: 'bad_request', message: `cannot read ${Number.isNaN(from) ? 'from' : 'to'} as an ISO-8601 date or date-time` });
    return undefined;
  }
  if (from >= to) {
    void reply.code(400).send({ error: 'bad_request', message: 'from must be before to' });
    return undefined;
  }
  return { from: new Date(from), to: new Date(to), ...(filter.op === 'and' && filter.children.length === 0 ? {} : { filter }) };
}
