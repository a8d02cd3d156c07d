import { describe, expect, it } from 'vitest';
import { LineSplitter, trimToUtf8Boundary } from './reader.js';

describe('LineSplitter', () => {
  it('splits across chunk boundaries with correct offsets', () => {
    const splitter = new LineSplitter(1024, 100);
    const lines = [...splitter.push(Buffer.from('ab')), ...splitter.push(Buffer.from('c\r\nde\n\nf'))];
    expect(lines.map((l) => [l.data.toString(), l.offset, l.end])).toEqual([
      ['abc', 100, 105],
      ['de', 105, 108],
      ['', 108, 109],
    ]);
    expect(splitter.hasPartial).toBe(true);
    expect(splitter.flushPartial()).toMatchObject({ offset: 109, end: 110, truncated: false });
    expect(splitter.hasPartial).toBe(false);
  });

  it('keeps the first maxLineBytes of a long line, flags it, and buffers no more than that', () => {
    const splitter = new LineSplitter(10, 0);
    const lines = [];
    for (let i = 0; i < 100; i++) lines.push(...splitter.push(Buffer.alloc(1000, 0x41)));
    lines.push(...splitter.push(Buffer.from('\nok\n')));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ offset: 0, end: 100_001, truncated: true });
    expect(lines[0]!.data.toString()).toBe('A'.repeat(10));
    expect(lines[1]).toMatchObject({ offset: 100_001, truncated: false });
  });

  it('does not cut a UTF-8 character when truncating', () => {
    const splitter = new LineSplitter(4, 0);
    const [line] = splitter.push(Buffer.from('aé€x\n', 'utf8')); // a(1) é(2) €(3)
    expect(line!.data.toString('utf8')).toBe('aé');
  });

  it('trimToUtf8Boundary leaves invalid bytes alone', () => {
    expect(trimToUtf8Boundary(Buffer.from([0x61, 0xe2, 0x82]))).toEqual(Buffer.from([0x61]));
    expect(trimToUtf8Boundary(Buffer.from([0x61, 0xff]))).toEqual(Buffer.from([0x61, 0xff]));
    expect(trimToUtf8Boundary(Buffer.from('€', 'utf8'))).toEqual(Buffer.from('€', 'utf8'));
  });
});
