import { describe, expect, it } from 'vitest';
import type { YamlValue } from './types.js';
import { MAX_RULE_FILE_BYTES, parseYamlDocuments, toPlain, typePlainScalar } from './yaml.js';

function only(text: string): YamlValue {
  const { docs, problems } = parseYamlDocuments(text, 'r.yml');
  expect(problems).toEqual([]);
  expect(docs).toHaveLength(1);
  return docs[0] as YamlValue;
}

describe('typePlainScalar (PyYAML 1.1 resolution, checklist C20)', () => {
  it.each([
    ['00000429', '00000429'],
    ['0755', 493],
    ['0x1F', 31],
    ['0b101', 5],
    ['-12', -12],
    ['1_000', 1000],
    ['190:20:30', 685230],
    ['1e3', '1e3'],
    ['1.5', 1.5],
    ['1.0e+3', 1000],
    ['1.0e3', '1.0e3'],
    ['.5', 0.5],
    ['-.inf', -Infinity],
    ['yes', true],
    ['On', true],
    ['NO', false],
    ['off', false],
    ['y', 'y'],
    ['TRUE', true],
    ['tRue', 'tRue'],
    ['~', null],
    ['null', null],
    ['', null],
    ['2023-01-01', '2023-01-01'],
    ['203.0.113.7', '203.0.113.7'],
    ['99999999999999999999', '99999999999999999999'],
  ])('%j → %j', (text, expected) => {
    expect(typePlainScalar(text)).toEqual(expected);
  });
  it('reads .nan as NaN', () => {
    expect(typePlainScalar('.nan')).toBeNaN();
  });
});

describe('parseYamlDocuments', () => {
  it('types plain scalars by YAML 1.1 and keeps quoted and block scalars as strings', () => {
    const doc = only("a: 0755\nb: '0755'\nc: \"yes\"\nd: yes\ne: |\n  0755\nf: !!str 12\ng:\n");
    expect(toPlain(doc)).toEqual({ a: 493, b: '0755', c: 'yes', d: true, e: '0755\n', f: '12', g: null });
  });

  it('keeps the source text and quoting of scalars', () => {
    const doc = only('a: 0x10\nb: "x"\n');
    expect(doc.kind === 'map' && doc.entries.map((e) => e.value)).toMatchObject([
      { kind: 'scalar', value: 16, raw: '0x10', quoted: false },
      { kind: 'scalar', value: 'x', raw: 'x', quoted: true },
    ]);
  });

  it('gives every node a 1-based line and column', () => {
    const doc = only('title: t\ndetection:\n  sel:\n    - a\n    - "b"\n');
    expect(doc.pos).toEqual({ file: 'r.yml', line: 1, col: 1 });
    if (doc.kind !== 'map') throw new Error('map expected');
    const detection = doc.entries[1]!;
    expect(detection.keyPos).toEqual({ file: 'r.yml', line: 2, col: 1 });
    if (detection.value.kind !== 'map') throw new Error('map expected');
    const sel = detection.value.entries[0]!;
    expect(sel.keyPos).toMatchObject({ line: 3, col: 3 });
    if (sel.value.kind !== 'seq') throw new Error('seq expected');
    expect(sel.value.items.map((item) => [item.pos.line, item.pos.col])).toEqual([
      [4, 7],
      [5, 7],
    ]);
  });

  it('reads every document of a multi-document file and skips an empty trailing one', () => {
    const { docs, problems } = parseYamlDocuments('a: 1\n---\nb: 2\n---\n', 'r.yml');
    expect(problems).toEqual([]);
    expect(docs.map(toPlain)).toEqual([{ a: 1 }, { b: 2 }]);
    expect(docs[1]?.pos.line).toBe(3);
  });

  it('reports a duplicate key with its position and keeps the other documents', () => {
    const { docs, problems } = parseYamlDocuments('a: 1\n---\nb: 2\nb: 3\n', 'r.yml');
    expect(docs.map(toPlain)).toEqual([{ a: 1 }]);
    expect(problems).toMatchObject([{ severity: 'error', code: 'duplicate-key', file: 'r.yml', line: 4, col: 1 }]);
  });

  it('reports syntax errors with their position', () => {
    const { docs, problems } = parseYamlDocuments('a: [1, 2\nb: c\n', 'r.yml');
    expect(docs).toEqual([]);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatchObject({ severity: 'error', code: 'yaml-syntax', file: 'r.yml' });
    expect(problems[0]!.line).toBeGreaterThan(0);
  });

  it('refuses a file over the size limit unread', () => {
    const { docs, problems } = parseYamlDocuments(`a: "${'x'.repeat(MAX_RULE_FILE_BYTES)}"\n`, 'big.yml');
    expect(docs).toEqual([]);
    expect(problems).toMatchObject([{ code: 'file-too-large', line: 1, col: 1 }]);
  });

  it('resolves aliases but stops an alias bomb', () => {
    expect(toPlain(only('a: &x [1, 2]\nb: *x\n'))).toEqual({ a: [1, 2], b: [1, 2] });
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) lines.push(`a${i}: &a${i} [*a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}, *a${i - 1}]`);
    const { docs, problems } = parseYamlDocuments(lines.join('\n'), 'bomb.yml');
    expect(docs).toEqual([]);
    expect(problems.map((p) => p.code)).toContain('yaml-too-large');
  });
});
