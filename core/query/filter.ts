/**
 * The filter AST: the one language of conditions inside Watchpost.
 *
 * Sigma rules and the analysts' search box compile to it; each event store compiles it to its own
 * query language (SQL for SQLite, Query DSL for Elasticsearch) and the engine to a JS predicate.
 * All three must give identical results on the same events; the conformance suite proves it.
 *
 * Semantics shared by every compiler:
 * - A field path is dotted ECS (`source.ip`). When the field holds an array, a predicate holds
 *   if it holds for any element (as in Elasticsearch).
 * - A predicate on a missing field is false; `not` of it is therefore true (Sigma's rule for
 *   `not` over missing fields).
 * - String predicates are case-insensitive unless `caseSensitive` is true (Sigma's default).
 *   Case folding is Unicode simple lower-casing.
 * - `eq` compares numbers numerically and strings as strings; a number value also matches a
 *   string field holding its decimal spelling, and vice versa (logs are text).
 */

/** A scalar a predicate compares against. */
export type FilterScalar = string | number | boolean;

/** Boolean composition. An empty `and` is true, an empty `or` is false. */
export type FilterNode =
  | { readonly op: 'and'; readonly children: readonly FilterNode[] }
  | { readonly op: 'or'; readonly children: readonly FilterNode[] }
  | { readonly op: 'not'; readonly child: FilterNode }
  /** The field equals the value. */
  | { readonly op: 'eq'; readonly field: string; readonly value: FilterScalar; readonly caseSensitive?: boolean }
  /** The field's string value contains, starts with or ends with the value. */
  | {
      readonly op: 'contains' | 'startswith' | 'endswith';
      readonly field: string;
      readonly value: string;
      readonly caseSensitive?: boolean;
    }
  /** Glob match over the whole value: `*` any run, `?` one character; `\` escapes either. */
  | { readonly op: 'wildcard'; readonly field: string; readonly pattern: string; readonly caseSensitive?: boolean }
  /**
   * Regular expression found anywhere in the value (substring semantics, like Sigma's `|re`;
   * anchor with ^ and $ for a whole-value match). The pattern uses the common subset of
   * ECMAScript and Lucene syntax; `flags.i` makes it case-insensitive.
   */
  | { readonly op: 'regex'; readonly field: string; readonly pattern: string; readonly flags?: { readonly i?: boolean } }
  /** The field holds an IP address inside the CIDR block (IPv4 or IPv6). */
  | { readonly op: 'cidr'; readonly field: string; readonly cidr: string }
  /** The field is present and not null. */
  | { readonly op: 'exists'; readonly field: string }
  /** Numeric range (or ISO-8601 timestamps when the bounds are strings). */
  | {
      readonly op: 'range';
      readonly field: string;
      readonly gt?: number | string;
      readonly gte?: number | string;
      readonly lt?: number | string;
      readonly lte?: number | string;
    }
  /**
   * Free text: every word of `value` occurs, case-insensitively, as a word in `message` or
   * `event.original` (the search box's bare words).
   */
  | { readonly op: 'text'; readonly value: string }
  /**
   * Compares two fields of the same event (Sigma's `fieldref`): `field` equals, contains, starts
   * or ends with the value of `other`, case-insensitively unless `caseSensitive`. False when
   * either field is missing; over arrays, any element of `field` against any element of `other`.
   * Streaming only: the SQL and Query DSL compilers refuse it with a UserError naming the op.
   */
  | {
      readonly op: 'fieldref';
      readonly field: string;
      readonly other: string;
      readonly mode: 'eq' | 'contains' | 'startswith' | 'endswith';
      readonly caseSensitive?: boolean;
    }
  /**
   * A part of a timestamp field, in UTC, compared numerically (Sigma's `minute`, `hour`, `day`,
   * `week` (ISO 8601 week, 1–53), `month`, `year` modifiers, with `gt`…`lte` when given, else
   * equality with `eq`). False when the field is missing or not a timestamp.
   * Streaming only: the SQL and Query DSL compilers refuse it with a UserError naming the op.
   */
  | {
      readonly op: 'timepart';
      readonly field: string;
      readonly part: 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';
      readonly eq?: number;
      readonly gt?: number;
      readonly gte?: number;
      readonly lt?: number;
      readonly lte?: number;
    };

/** The operator names, for exhaustive switches. */
export type FilterOp = FilterNode['op'];

/** The filter that matches everything. */
export const MATCH_ALL: FilterNode = Object.freeze({ op: 'and', children: Object.freeze([]) });

/** Builds `and` of the given filters, flattening nested ands and dropping empty ones. */
export function and(...children: FilterNode[]): FilterNode {
  const flat: FilterNode[] = [];
  for (const child of children) {
    if (child.op === 'and') flat.push(...child.children);
    else flat.push(child);
  }
  return flat.length === 1 ? (flat[0] as FilterNode) : { op: 'and', children: flat };
}
