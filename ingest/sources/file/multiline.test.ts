import { describe, expect, it } from 'vitest';
import type { MultilineConfig } from '../../../core/config/ingest.js';
import { MultilineJoiner, compileMultilinePattern } from './multiline.js';
import type { Line } from './reader.js';

function feed(config: Partial<MultilineConfig> & Pick<MultilineConfig, 'pattern'>, texts: string[], maxBytes = 1024): string[] {
  const joiner = new MultilineJoiner({ negate: false, match: 'after', maxLines: 500, timeoutMs: 1000, ...config }, maxBytes, 't');
  let offset = 0;
  const out: string[] = [];
  for (const text of texts) {
    const line: Line = { offset, end: offset + text.length + 1, data: Buffer.from(text), truncated: false };
    offset = line.end;
    out.push(...joiner.push(line, 0).map((r) => `${r.offset}|${r.data.toString()}${r.truncated ? '|T' : ''}`));
  }
  const last = joiner.flush();
  if (last) out.push(`${last.offset}|${last.data.toString()}${last.truncated ? '|T' : ''}`);
  return out;
}

describe('MultilineJoiner', () => {
  it('negate: true, match: after joins lines that do not start a record', () => {
    expect(feed({ pattern: '^\\[', negate: true }, ['[1] a', ' b', ' c', '[2] d'])).toEqual(['0|[1] a\n b\n c', '12|[2] d']);
  });

  it('match: before joins continuation lines into the next', () => {
    expect(feed({ pattern: '\\\\$', match: 'before' }, ['a \\', 'b \\', 'c', 'd'])).toEqual(['0|a \\\nb \\\nc', '10|d']);
  });

  it('negate: true, match: before', () => {
    expect(feed({ pattern: ';$', negate: true, match: 'before' }, ['SELECT', 'x;', 'y;'])).toEqual(['0|SELECT\nx;', '10|y;']);
  });

  it('starts a new record after maxLines instead of dropping lines', () => {
    expect(feed({ pattern: '^ ', maxLines: 2 }, ['a', ' 1', ' 2', ' 3'])).toEqual(['0|a\n 1', '5| 2\n 3']);
  });

  it('caps the joined record at maxBytes and flags it', () => {
    expect(feed({ pattern: '^ ' }, ['abcdef', ' ghijk', ' more', 'next'], 10)).toEqual(['0|abcdef\n gh|T', '20|next']);
  });

  it('understands RE2 POSIX classes and rejects invalid patterns', () => {
    expect(compileMultilinePattern('^[[:space:]]+at', 't').test('\tat x')).toBe(true);
    expect(compileMultilinePattern('^[[:digit:]]{4}-', 't').test('2024-01')).toBe(true);
    expect(() => compileMultilinePattern('(', 't')).toThrow(/not a valid regular expression/);
  });
});
