import { stringify } from 'yaml';
import type { FilterNode } from '../../core/query/filter.js';
import type { FieldTypes } from '../../backends/elasticsearch/filter-dsl.js';
import { logsourceApplies } from '../../engine/detect/rule-index.js';
import type { Pipeline } from '../../engine/sigma/pipeline.js';
import type { SigmaLogsource } from '../../engine/sigma/types.js';

/**
 * What the differential check needs from our pipelines on the pySigma side: a pySigma processing
 * pipeline (YAML) generated from each of rules/pipelines/*.yml, so both converters map Sigma
 * names to the same ECS fields, and the logsource condition our detector applies by index
 * (docs/specs/rules.md "Event → logsources"), which pySigma knows nothing of.
 */

/** The pySigma pipeline name of a rule with no pipeline (names as written). */
export const NO_PIPELINE = 'none';
/** Suffix of the case-folded variant of a pipeline. */
export const FOLDED = '~folded';

/**
 * A pySigma pipeline with our pipeline's value rewrites (`map_string`, keys in the spellings a
 * rule may use since pySigma's lookup is exact) and field mapping (`field_name_mapping`, a list
 * being an OR of alternatives in both). The folded variant also lower-cases every string value
 * (`case`) and queries the `.lower` multi-fields, so running it tells which differences are
 * only about case.
 */
export function pysigmaPipelineYaml(pipeline: Pipeline | undefined, folded: boolean, types: FieldTypes): string {
  const name = pipeline?.name ?? NO_PIPELINE;
  const transformations: Record<string, unknown>[] = [];
  if (folded) transformations.push({ id: 'fold_values', type: 'case', method: 'lower' });
  let index = 0;
  for (const [field, rewrites] of pipeline?.values ?? new Map<string, ReadonlyMap<string, readonly (string | number | boolean)[]>>()) {
    const mapping: Record<string, string[]> = {};
    for (const [value, replacements] of rewrites) {
      const targets = replacements.map(String);
      for (const spelling of new Set([value, value.toUpperCase(), value.charAt(0).toUpperCase() + value.slice(1)])) mapping[spelling] = targets;
    }
    // Our pipelines match the Sigma field name of a value rewrite case-insensitively.
    const pattern = `(?i)^${field.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}$`;
    transformations.push({ id: `values_${index++}`, type: 'map_string', mapping, field_name_conditions: [{ type: 'include_fields', mode: 're', fields: [pattern] }] });
  }
  const fields = Object.fromEntries([...(pipeline?.fields ?? new Map<string, readonly string[]>())].map(([sigma, ecs]) => [sigma, ecs.length === 1 ? ecs[0] : [...ecs]]));
  if (Object.keys(fields).length > 0) transformations.push({ id: 'fields', type: 'field_name_mapping', mapping: fields });
  if (folded) {
    const numbers = Object.entries(types)
      .filter(([, type]) => type === 'number' || type === 'boolean')
      .map(([field]) => field);
    transformations.push({ id: 'lower_fields', type: 'field_name_suffix', suffix: '.lower', field_name_conditions: [{ type: 'exclude_fields', fields: numbers }] });
  }
  // pySigma refuses an empty transformation list in some versions; a no-op keeps the shape.
  if (transformations.length === 0) transformations.push({ id: 'noop', type: 'set_state', key: 'watchpost', val: name });
  return stringify({ name: `watchpost-${name}${folded ? FOLDED : ''}`, priority: 20, transformations });
}

/**
 * The events a rule runs on, as a filter: the `events` selectors of every pipeline logsource
 * entry the rule's logsource applies to, OR-ed. MATCH_NONE (`or []`) when no entry serves the
 * rule: our detector then never evaluates it.
 */
export function logsourceFilter(logsource: SigmaLogsource, pipelines: readonly Pipeline[]): FilterNode {
  const entries = pipelines.flatMap((pipeline) => pipeline.logsources).filter((entry) => logsourceApplies(logsource, [entry.logsource]));
  const anyOf = (field: string, values: ReadonlySet<string>): FilterNode => ({ op: 'or', children: [...values].map((value) => ({ op: 'eq', field, value })) });
  return { op: 'or', children: entries.map((entry) => ({ op: 'and', children: [...entry.events].map(([field, values]) => anyOf(field, values)) })) };
}

/** Lucene for the and/or/eq filters {@link logsourceFilter} builds (quoted terms, exact). */
export function luceneOf(node: FilterNode): string {
  switch (node.op) {
    case 'and':
      return node.children.length === 0 ? '*:*' : `(${node.children.map(luceneOf).join(' AND ')})`;
    case 'or':
      return node.children.length === 0 ? 'NOT *:*' : `(${node.children.map(luceneOf).join(' OR ')})`;
    case 'eq':
      return `${node.field.replace(/([@])/g, '\\$1')}:"${String(node.value).replace(/["\\]/g, (c) => `\\${c}`)}"`;
    case 'not':
    case 'contains':
    case 'startswith':
    case 'endswith':
    case 'wildcard':
    case 'regex':
    case 'cidr':
    case 'exists':
    case 'range':
    case 'text':
    case 'fieldref':
    case 'timepart':
      throw new Error(`luceneOf: ${node.op} is not part of a logsource condition`);
  }
}
