import type { EcsEvent } from '../../core/ecs/event.js';
import type { ParseContext, Parser, ParseResult } from './parser.js';

/** How a record was routed, for metrics and the failure tag. */
export type RouteOutcome =
  | { readonly kind: 'parsed'; readonly parser: string; readonly event: EcsEvent }
  /** No vendor parser claimed the line; the transport's event stands (e.g. a generic syslog line). */
  | { readonly kind: 'unclaimed' }
  | { readonly kind: 'failed'; readonly parser: string; readonly reason: string };

/** A routing table built once from the registry. */
export interface ParserRouter {
  readonly parsers: readonly Parser[];
  route(context: ParseContext, format?: string): RouteOutcome;
}

function attempt(parser: Parser, context: ParseContext): ParseResult {
  try {
    return parser.parse(context);
  } catch {
    // A throw is a parser bug (the fuzz test hunts them); the record is still stored, tagged.
    return { failure: 'parser_error' };
  }
}

/**
 * Picks the parser of a record: the configured `format` if the source names one; else the
 * parsers registered for the syslog app name, then every parser whose pre-filter accepts the
 * line, in registry order. The first that parses wins. When candidates exist but all refuse,
 * the first one's reason is reported.
 */
export function createRouter(parsers: readonly Parser[]): ParserRouter {
  const byId = new Map(parsers.map((parser) => [parser.id, parser]));
  const byProgram = new Map<string, Parser[]>();
  for (const parser of parsers) {
    for (const program of parser.programs) byProgram.set(program, [...(byProgram.get(program) ?? []), parser]);
  }
  return {
    parsers,
    route(context, format) {
      if (format !== undefined && format !== 'auto') {
        const parser = byId.get(format);
        if (!parser) return { kind: 'failed', parser: format, reason: 'unknown_format' };
        const result = attempt(parser, context);
        return 'event' in result ? { kind: 'parsed', parser: parser.id, event: result.event } : { kind: 'failed', parser: parser.id, reason: result.failure };
      }
      const program = context.syslog?.appName?.toLowerCase();
      const first = program === undefined ? [] : (byProgram.get(program) ?? []);
      let refusal: { parser: string; reason: string } | undefined;
      const tried = new Set<Parser>();
      for (const parser of [...first, ...parsers]) {
        if (tried.has(parser)) continue;
        tried.add(parser);
        if (!first.includes(parser) && !safeMatches(parser, context)) continue;
        const result = attempt(parser, context);
        if ('event' in result) return { kind: 'parsed', parser: parser.id, event: result.event };
        refusal ??= { parser: parser.id, reason: result.failure };
      }
      return refusal ? { kind: 'failed', ...refusal } : { kind: 'unclaimed' };
    },
  };
}

function safeMatches(parser: Parser, context: ParseContext): boolean {
  try {
    return parser.matches(context);
  } catch {
    return false;
  }
}
