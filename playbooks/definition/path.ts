/**
 * Field paths of templates and conditions (`alert.entities.source.ip`, `steps.block.status`),
 * resolved against the template context without ever reaching an object's prototype.
 */

/** The top-level names of the template context (see `TemplateContext`). */
export const CONTEXT_ROOTS: readonly string[] = Object.freeze(['alert', 'incident', 'playbook', 'run', 'steps', 'consoleUrl']);

/** What a trigger's `when` may read: the run does not exist yet. */
export const TRIGGER_ROOTS: readonly string[] = Object.freeze(['alert', 'incident']);

/** A path is at most this long (characters) and this deep (segments). */
export const MAX_PATH_LENGTH = 256;
const MAX_SEGMENTS = 32;

/** Segments are ECS-like names: letters, digits, `_`, `-`, `@` (`@timestamp`). */
const SEGMENT = /^[A-Za-z0-9_@-]+$/;

/**
 * Names that reach into an object's prototype in JavaScript. Own keys are the only ones read
 * anyway (`Object.hasOwn`), but an object parsed from JSON may hold `__proto__` as an own key,
 * so these are refused outright: no template or condition can name them.
 */
const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);

/** Returned for a path that leads nowhere; distinct from `undefined` values and `null`. */
export const MISSING: unique symbol = Symbol('missing');

/**
 * Why `path` is not a valid field path, or undefined when it is. `roots` lists the top-level names
 * it may start with.
 */
export function pathProblem(path: string, roots: readonly string[] = CONTEXT_ROOTS): string | undefined {
  if (path.length === 0) return 'the field path is empty';
  if (path.length > MAX_PATH_LENGTH) return `the field path is longer than ${MAX_PATH_LENGTH} characters`;
  const segments = path.split('.');
  if (segments.length > MAX_SEGMENTS) return `the field path has more than ${MAX_SEGMENTS} segments`;
  for (const segment of segments) {
    if (!SEGMENT.test(segment)) return `"${path}" is not a field path (dotted names of letters, digits, _, - and @)`;
    if (FORBIDDEN.has(segment)) return `"${path}" names "${segment}", which is never a field`;
  }
  const root = segments[0] as string;
  if (!roots.includes(root)) return `"${path}" starts with "${root}"; a path starts with one of ${roots.join(', ')}`;
  return undefined;
}

/** True for objects built from data (`{}` literals, JSON, YAML): not class instances, functions or Maps. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Resolves a dotted path against `root`. Where an object key itself holds dots (alert entities
 * are keyed `source.ip`, `user.name`), the longest key that matches the next segments wins, so
 * `alert.entities.source.ip` reads `entities["source.ip"]`. A numeric segment indexes an array.
 * Only own keys of plain objects and arrays are read; anything else is {@link MISSING}.
 */
export function resolvePath(root: unknown, path: string): unknown {
  const segments = path.split('.');
  if (segments.some((segment) => segment === '' || FORBIDDEN.has(segment))) return MISSING;
  let current: unknown = root;
  let index = 0;
  while (index < segments.length) {
    if (Array.isArray(current)) {
      const segment = segments[index] as string;
      if (!/^(0|[1-9]\d{0,8})$/.test(segment)) return MISSING;
      const position = Number(segment);
      if (position >= current.length) return MISSING;
      current = current[position];
      index += 1;
      continue;
    }
    if (!isPlainObject(current)) return MISSING;
    let next = -1;
    for (let end = segments.length; end > index; end -= 1) {
      const key = segments.slice(index, end).join('.');
      if (Object.hasOwn(current, key)) {
        next = end;
        current = current[key];
        break;
      }
    }
    if (next < 0) return MISSING;
    index = next;
  }
  return current === undefined ? MISSING : current;
}
