/**
 * The view of a record that filters and sorts read, shaped the way Elasticsearch indexes a
 * document, so that a dotted field name means the same thing in both case stores:
 *
 * - a key containing dots is a path: `{ entities: { 'source.ip': x } }` is read as
 *   `entities.source.ip` (alerts key their entities by ECS field name);
 * - an array of objects is read as an object of arrays: `observables.value` holds every
 *   observable's value, so "an array field matches if any element does" reaches inside
 *   object arrays (incident observables and tasks, run steps) as it does in Elasticsearch;
 * - nested arrays are flattened.
 *
 * The SQL filter compiler (filter-sql.ts) walks plain JSON paths and only expands an array at the
 * end of a path; running it over this view gives it Elasticsearch's reading of the same record.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Two values landing on one path: objects merge key by key, anything else becomes one array. */
function combine(left: Json | undefined, right: Json): Json {
  if (left === undefined) return right;
  if (isObject(left) && isObject(right)) {
    const merged: Record<string, Json> = { ...left };
    for (const [key, value] of Object.entries(right)) merged[key] = combine(merged[key], value);
    return merged;
  }
  return [...(Array.isArray(left) ? left : [left]), ...(Array.isArray(right) ? right : [right])];
}

function flatten(values: readonly Json[]): Json[] {
  return values.flatMap((value) => (Array.isArray(value) ? flatten(value) : [value]));
}

function view(value: Json): Json {
  if (Array.isArray(value)) {
    const elements = flatten(value).map(view);
    const objects = elements.filter(isObject);
    if (objects.length === 0) return elements;
    // Elasticsearch refuses arrays mixing objects and scalars; keep the scalars beside the merged object.
    const scalars = elements.filter((element) => !isObject(element));
    const merged = objects.reduce<Json | undefined>((acc, object) => combine(acc, transpose(object)), undefined) as Json;
    return scalars.length === 0 ? merged : [...scalars, merged];
  }
  if (!isObject(value)) return value;
  let out: Record<string, Json> = {};
  for (const [key, inner] of Object.entries(value)) {
    const path = key.split('.').filter((segment) => segment !== '');
    if (path.length === 0) continue;
    const nested = path.reduceRight<Json>((acc, segment) => ({ [segment]: acc }), view(inner));
    out = combine(out, nested) as Record<string, Json>;
  }
  return out;
}

/** Every leaf of an array element becomes a one-element array, so merged elements concatenate. */
function transpose(object: Record<string, Json>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(object)) {
    out[key] = isObject(value) ? transpose(value) : Array.isArray(value) ? value : [value];
  }
  return out;
}

/**
 * The search view of a record as JSON, or null when it is the record itself (no dotted keys, no
 * arrays of objects): the tables then store it once and read `coalesce(search, doc)`.
 */
export function searchViewJson(docJson: string): string | null {
  const json = JSON.stringify(view(JSON.parse(docJson) as Json));
  return json === docJson ? null : json;
}
