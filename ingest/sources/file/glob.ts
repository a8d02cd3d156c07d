import { readdir, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve, sep } from 'node:path';

/**
 * A `paths` or `exclude` glob compiled for the tailer. chokidar 4+ no longer expands globs, and
 * Node 20's `path.matchesGlob` is experimental, so the few forms log paths need are compiled
 * here: `*` and `?` (within one path segment), `**` (any number of segments), `[abc]`/`[!abc]`
 * and `{a,b}` (not nested).
 */
export interface CompiledGlob {
  readonly pattern: string;
  readonly regex: RegExp;
  /** The longest directory prefix without glob characters: where discovery starts. */
  readonly base: string;
  /** How many directory levels below `base` a match can be; undefined when `**` makes it unbounded. */
  readonly maxDepth: number | undefined;
}

const GLOB_CHARS = /[*?[{]/;

/** Compiles an absolute (or cwd-relative) glob. */
export function compileGlob(pattern: string, cwd: string = process.cwd()): CompiledGlob {
  const absolute = isAbsolute(pattern) ? pattern : resolve(cwd, pattern);
  const segments = absolute.split(sep);
  const firstGlob = segments.findIndex((segment) => GLOB_CHARS.test(segment));
  if (firstGlob < 0) {
    // A plain file: watch its directory so that a file created there after rotation is seen.
    return { pattern, regex: new RegExp(`^${escapeRegex(absolute)}$`), base: segments.slice(0, -1).join(sep) || sep, maxDepth: 0 };
  }
  const rest = segments.slice(firstGlob);
  return {
    pattern,
    regex: new RegExp(`^${translate(absolute)}$`),
    base: segments.slice(0, firstGlob).join(sep) || sep,
    maxDepth: rest.includes('**') ? undefined : rest.length - 1,
  };
}

/**
 * Compiles an exclude glob. A pattern without a `/` matches a file's base name anywhere
 * (`*.gz`), as in .gitignore; one with a `/` matches the whole path.
 */
export function compileExclude(pattern: string, cwd: string = process.cwd()): (path: string) => boolean {
  if (!pattern.includes('/')) {
    const regex = new RegExp(`^${translate(pattern)}$`);
    return (path) => regex.test(basename(path));
  }
  const { regex } = compileGlob(pattern, cwd);
  return (path) => regex.test(path);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function translate(glob: string): string {
  let out = '';
  let inBraces = false;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atSegmentStart = i === 0 || glob[i - 1] === '/';
        if (atSegmentStart && glob[i + 2] === '/') {
          out += '(?:[^/]*/)*';
          i += 2;
        } else {
          out += '.*';
          i += 1;
        }
      } else {
        out += '[^/]*';
      }
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) {
        out += '\\[';
      } else {
        let body = glob.slice(i + 1, close);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        out += `[${body.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else if (c === '{' && !inBraces) {
      inBraces = true;
      out += '(?:';
    } else if (c === '}' && inBraces) {
      inBraces = false;
      out += ')';
    } else if (c === ',' && inBraces) {
      out += '|';
    } else {
      out += escapeRegex(c);
    }
  }
  return out;
}

/**
 * Lists the regular files (or symlinks to them) that match any of `globs` and none of
 * `excludes`. Directory symlinks are not followed, so a link loop cannot trap the walk.
 */
export async function discover(
  globs: readonly CompiledGlob[],
  excludes: readonly ((path: string) => boolean)[],
): Promise<string[]> {
  const found = new Set<string>();
  for (const glob of globs) {
    await walk(glob.base, 0, glob, found);
  }
  return [...found].filter((path) => !excludes.some((excluded) => excluded(path))).sort();
}

async function walk(dir: string, depth: number, glob: CompiledGlob, found: Set<string>): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return; // not there (yet) or not readable: the next poll looks again
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (glob.maxDepth === undefined || depth < glob.maxDepth) await walk(path, depth + 1, glob, found);
    } else if (glob.regex.test(path)) {
      if (entry.isFile()) {
        found.add(path);
      } else if (entry.isSymbolicLink()) {
        const target = await stat(path).catch(() => undefined);
        if (target?.isFile()) found.add(path);
      }
    }
  }
}
