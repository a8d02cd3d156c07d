import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { FilterNode } from '../../core/query/filter.js';
import { parseFilterRegex } from '../../core/query/regex.js';
import { conditionToFilter } from './condition.js';
import { compileDetection } from './detection.js';
import type { FieldMapper, RuleProblem, YamlValue } from './types.js';
import { parseYamlDocuments, toPlain } from './yaml.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURES = join(ROOT, 'test/fixtures/sigma');
// The shipped, unmodified copy of the SigmaHQ rules (../shared/sigma is not part of a clone).
const SIGMAHQ = resolve(ROOT, 'rules/sigmahq');

interface MapperSpec {
  fields?: Record<string, string[]>;
  strict?: boolean;
  keywords?: string[];
  values?: Record<string, Record<string, (string | number | boolean)[]>>;
}

/** A mapper built from a fixture's `mapper:`; without one, names pass through and keywords search `message`. */
function mapperOf(spec: MapperSpec = {}): FieldMapper {
  return {
    pipeline: 'test',
    map: (field) => spec.fields?.[field] ?? (spec.strict === true ? `the field "${field}" is not mapped by the pipeline "test"` : [field]),
    values: (field) => {
      const map = spec.values?.[field];
      return map === undefined ? undefined : new Map(Object.entries(map));
    },
    keywordFields: spec.keywords ?? ['message'],
  };
}

function entry(map: YamlValue, key: string): YamlValue | undefined {
  return map.kind === 'map' ? map.entries.find((e) => e.key === key)?.value : undefined;
}

function codes(problems: readonly RuleProblem[], severity: RuleProblem['severity']): string[] {
  return problems
    .filter((p) => p.severity === severity)
    .map((p) => p.code)
    .sort();
}

function* nodes(filter: FilterNode): Generator<FilterNode> {
  yield filter;
  if (filter.op === 'and' || filter.op === 'or') for (const child of filter.children) yield* nodes(child);
  if (filter.op === 'not') yield* nodes(filter.child);
}

describe('golden cases (test/fixtures/sigma)', () => {
  const files = readdirSync(FIXTURES).filter((name) => name.endsWith('.yml'));
  it('has fixtures for sections C, D, E and F', () => {
    expect(files.sort()).toEqual(['c-detection.yml', 'd-wildcards.yml', 'e-modifiers.yml', 'f-condition.yml']);
  });
  for (const name of files) {
    const file = join(FIXTURES, name);
    const { docs, problems } = parseYamlDocuments(readFileSync(file, 'utf8'), file);
    const cases = docs[0] === undefined ? undefined : entry(docs[0], 'cases');
    describe(name, () => {
      it('parses', () => {
        expect(problems).toEqual([]);
        expect(cases?.kind).toBe('seq');
      });
      if (cases?.kind !== 'seq') return;
      for (const c of cases.items) {
        const id = toPlain(entry(c, 'id') as YamlValue) as string;
        const title = toPlain(entry(c, 'name') as YamlValue) as string;
        it(`${id}: ${title}`, () => {
          const detection = entry(c, 'detection') as YamlValue;
          const mapper = mapperOf(toPlain(entry(c, 'mapper') ?? { kind: 'map', entries: [], pos: c.pos }) as MapperSpec);
          const found: RuleProblem[] = [];
          const compiled = compileDetection(detection, mapper, { file, rule: id }, found);
          const errors = entry(c, 'errors');
          expect(codes(found, 'error')).toEqual(errors === undefined ? [] : (toPlain(errors) as string[]).sort());
          const warnings = entry(c, 'warnings');
          expect(codes(found, 'warning')).toEqual(warnings === undefined ? [] : (toPlain(warnings) as string[]).sort());
          for (const problem of found) {
            // Every problem points into the fixture, inside this case.
            expect(problem.file).toBe(file);
            expect(problem.line).toBeGreaterThanOrEqual(c.pos.line);
          }
          if (errors !== undefined) {
            expect(compiled).toBeUndefined();
            return;
          }
          expect(compiled).toBeDefined();
          const condition = entry(c, 'condition');
          if (condition !== undefined) expect(compiled?.condition).toEqual(toPlain(condition));
          const filter = entry(c, 'filter');
          if (filter !== undefined) expect(conditionToFilter(compiled!.condition, compiled!.selections)).toEqual(toPlain(filter));
          expect(condition ?? filter).toBeDefined();
        });
      }
    });
  }
});

describe('every SigmaHQ rule in rules/sigmahq (checklist M2)', () => {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.yml')) files.push(path);
    }
  };
  walk(SIGMAHQ);
  const mapper: FieldMapper = { map: (field) => [field], values: () => undefined, keywordFields: ['message'] };
  const results = files.map((path) => {
    const file = relative(SIGMAHQ, path);
    const { docs, problems } = parseYamlDocuments(readFileSync(path, 'utf8'), file);
    const filters: FilterNode[] = [];
    let detections = 0;
    for (const doc of docs) {
      const detection = entry(doc, 'detection');
      if (detection === undefined) continue;
      detections += 1;
      const compiled = compileDetection(detection, mapper, { file }, problems);
      if (compiled !== undefined) filters.push(conditionToFilter(compiled.condition, compiled.selections));
    }
    return { file, docs, problems, filters, detections };
  });
  const rules = results.filter((r) => r.file.startsWith('rules') || r.file.startsWith('unsupported'));

  it('finds the 490 rule files', () => {
    expect(rules).toHaveLength(490);
    expect(rules.every((r) => r.detections === 1)).toBe(true);
  });

  it('parses every file as YAML without problems', () => {
    const bad = results.filter((r) => r.docs.length === 0 || (!r.file.startsWith('unsupported') && r.problems.some((p) => p.severity === 'error')));
    expect(bad.map((r) => `${r.file}: ${r.problems.map((p) => `${p.line}:${p.col} ${p.code} ${p.message}`).join('; ')}`)).toEqual([]);
  });

  it('compiles the detection and condition of every rule outside unsupported/', () => {
    const supported = rules.filter((r) => !r.file.startsWith('unsupported'));
    expect(supported).toHaveLength(468);
    for (const rule of supported) expect(rule.filters, rule.file).toHaveLength(1);
  });

  it('refuses the 18 pipe aggregations with use-correlation and the pseudo aggregation as a syntax error', () => {
    const unsupported = rules.filter((r) => r.file.startsWith('unsupported'));
    expect(unsupported).toHaveLength(22);
    const pipe = unsupported.filter((r) => r.problems.some((p) => p.code === 'use-correlation' && p.message.includes('"|"')));
    expect(pipe).toHaveLength(18);
    for (const rule of pipe) expect(rule.filters).toHaveLength(0);
    const pseudo = unsupported.find((r) => r.file.endsWith('net_dns_high_subdomain_rate.yml'));
    expect(pseudo?.problems.map((p) => p.code)).toContain('condition-syntax');
    expect(pseudo?.filters).toHaveLength(0);
    const loading = unsupported.filter((r) => r.filters.length === 1).map((r) => r.file.split('/').pop());
    expect(loading.sort()).toEqual(['lnx_auditd_omigod_scx_runasprovider_executescript.yml', 'net_dns_large_domain_name.yml', 'zeek_http_exfiltration_compressed_files.yml']);
  });

  it('produces regexes every store accepts (core/query/regex.ts)', () => {
    const regexes = rules.flatMap((r) => r.filters.flatMap((f) => [...nodes(f)])).filter((n) => n.op === 'regex');
    expect(regexes.length).toBeGreaterThanOrEqual(20);
    for (const node of regexes) expect(() => parseFilterRegex(node.pattern), node.pattern).not.toThrow();
  });

  it('points every problem at a line and column of its file', () => {
    for (const r of results) {
      for (const problem of r.problems) {
        expect(problem.line).toBeGreaterThan(0);
        expect(problem.col).toBeGreaterThan(0);
      }
    }
    const pseudo = rules.find((r) => r.file.endsWith('net_dns_high_subdomain_rate.yml'));
    const syntax = pseudo?.problems.find((p) => p.code === 'condition-syntax');
    const lines = readFileSync(join(SIGMAHQ, pseudo!.file), 'utf8').split('\n');
    expect(lines[syntax!.line - 1]?.[syntax!.col - 1]).toBe('>');
  });
});
