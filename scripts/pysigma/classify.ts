import { parse } from 'yaml';
import type { FilterNode } from '../../core/query/filter.js';
import type { FieldTypes } from '../../backends/elasticsearch/filter-dsl.js';

/**
 * Why pySigma's Lucene and our Query DSL disagree on a document. The case class is decided by
 * experiment (the case-folded pySigma variant agrees with us); the others by what the rule
 * uses, in this order, so a document lands in the first class whose construct the rule has.
 */
export const CAUSES = {
  'pysigma-error': 'pySigma cannot convert the rule',
  'es-rejects-lucene': "Elasticsearch rejects pySigma's query_string",
  'es-rejects-ours': 'Elasticsearch rejects our Query DSL',
  case: 'case sensitivity of keyword fields in query_string',
  backslash: 'escaping: a value ending in a backslash before an added wildcard (D5)',
  'escaped-wildcard': 'escaping: literal * or ? in a value',
  regex: 'regex: Lucene anchors the whole term and has its own flavour',
  keywords: 'keywords (field-less values): unbound query_string terms vs our contains over the keyword fields',
  'text-field': 'analyzed text fields (message, event.original): query_string matches tokens',
  'numeric-field': 'string modifier on a numeric field',
  cidr: 'cidr on a keyword field',
  unexplained: 'not explained by the classes above',
} as const;

export type Cause = keyof typeof CAUSES;

/** The constructs of a rule that explain differences. */
export interface RuleFeatures {
  readonly keywords: boolean;
  readonly regex: boolean;
  readonly cidr: boolean;
  readonly backslash: boolean;
  readonly escapedWildcard: boolean;
  readonly textField: boolean;
  readonly numericField: boolean;
}

const TEXT_FIELDS = new Set(['message', 'event.original']);

/** Reads the constructs from the rule file's detection (as written) and its compiled filter. */
export function featuresOf(ruleText: string, filter: FilterNode, types: FieldTypes): RuleFeatures {
  let detection: Record<string, unknown> = {};
  try {
    const doc = parse(ruleText, { version: '1.1' }) as { detection?: Record<string, unknown> } | null;
    detection = doc?.detection ?? {};
  } catch {
    // The loader already reported it; no features.
  }
  const features = { keywords: false, regex: false, cidr: false, backslash: false, escapedWildcard: false, textField: false, numericField: false };
  const values = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);
  const strings = (value: unknown): void => {
    for (const item of values(value)) {
      if (typeof item !== 'string') continue;
      if (/\\$/.test(item)) features.backslash = true;
      if (/\\[*?]/.test(item)) features.escapedWildcard = true;
    }
  };
  const map = (selection: Record<string, unknown>): void => {
    for (const [key, value] of Object.entries(selection)) {
      const [field, ...modifiers] = key.split('|');
      if (field === '') features.keywords = true;
      if (modifiers.includes('re')) features.regex = true;
      if (modifiers.includes('cidr')) features.cidr = true;
      strings(value);
    }
  };
  for (const [name, selection] of Object.entries(detection)) {
    if (name === 'condition' || name === 'timeframe') continue;
    for (const item of values(selection)) {
      if (item !== null && typeof item === 'object' && !Array.isArray(item)) map(item as Record<string, unknown>);
      else {
        features.keywords = true;
        strings(item);
      }
    }
  }
  const visit = (node: FilterNode): void => {
    if (node.op === 'and' || node.op === 'or') node.children.forEach(visit);
    else if (node.op === 'not') visit(node.child);
    else if (node.op !== 'text' && TEXT_FIELDS.has(node.field)) features.textField = true;
    if (['contains', 'startswith', 'endswith', 'wildcard', 'regex'].includes(node.op) && 'field' in node && types[node.field] === 'number') features.numericField = true;
  };
  visit(filter);
  return features;
}

/**
 * The cause of one differing document, given the rule's features and the folded experiment.
 * The folded variant changes two things: values are lower-cased and fields are queried on their
 * `.lower` keyword view. For a case-swapped event that is the case; for an event written with
 * the rule's own case, only the field view can explain it: an analyzed text field.
 */
export function causeOf(features: RuleFeatures, explainedByFold: boolean, caseSwapped: boolean): Cause {
  if (explainedByFold) return caseSwapped || !(features.keywords || features.textField) ? 'case' : 'text-field';
  if (features.backslash) return 'backslash';
  if (features.escapedWildcard) return 'escaped-wildcard';
  if (features.regex) return 'regex';
  if (features.keywords) return 'keywords';
  if (features.textField) return 'text-field';
  if (features.numericField) return 'numeric-field';
  if (features.cidr) return 'cidr';
  return 'unexplained';
}
