import { describe, expect, it } from 'vitest';
import { parseCorrelation, resolveCorrelations } from './correlation-rule.js';
import type { CorrelationContext, CorrelationDraft } from './correlation-rule.js';
import { validateDocument } from './document.js';
import type { FieldMapper, RuleProblem } from './types.js';
import { parseYamlDocuments } from './yaml.js';

function drafts(text: string): { drafts: CorrelationDraft[]; problems: RuleProblem[] } {
  const { docs, problems } = parseYamlDocuments(text, 'c.yml');
  expect(problems).toEqual([]);
  const out: CorrelationDraft[] = [];
  docs.forEach((node, i) => {
    const doc = validateDocument(node, 'c.yml', i + 1, problems);
    const d = doc === undefined ? undefined : parseCorrelation(doc, problems);
    if (d !== undefined) out.push(d);
  });
  return { drafts: out, problems };
}

function one(section: string): { draft?: CorrelationDraft; codes: string[]; problems: RuleProblem[] } {
  const r = drafts(`title: c\nname: c\ncorrelation:\n${section}`);
  return { ...(r.drafts[0] === undefined ? {} : { draft: r.drafts[0] }), codes: r.problems.map((p) => `${p.severity}:${p.code}`), problems: r.problems };
}

const webMapper: FieldMapper = {
  pipeline: 'web',
  map: (f) => ({ 'c-ip': ['source.ip'], SourceIP: ['source.ip'], 'cs-host': ['url.domain', 'destination.domain'], bytes: ['http.response.bytes'] })[f] ?? (f.includes('.') ? [f] : `field '${f}' is not mapped`),
  values: () => undefined,
  keywordFields: ['message'],
};
const fwMapper: FieldMapper = {
  pipeline: 'fw',
  map: (f) => ({ src_ip: ['source.ip'], dst_ip: ['destination.ip'], SourceIP: ['source.address'] })[f] ?? [f],
  values: () => undefined,
  keywordFields: ['message'],
};

/** Base rules a, b (web pipeline) and f (firewall pipeline), named; d is disabled. */
function context(correlations: readonly CorrelationDraft[]): CorrelationContext {
  const base: Record<string, { key: string; kind: 'detection' | 'filter'; name?: string }> = {
    a: { key: 'id-a', kind: 'detection', name: 'a' },
    'id-a': { key: 'id-a', kind: 'detection', name: 'a' },
    b: { key: 'id-b', kind: 'detection', name: 'b' },
    f: { key: 'id-f', kind: 'detection', name: 'f' },
    d: { key: 'id-d', kind: 'detection', name: 'd' },
    mf: { key: 'mf', kind: 'filter', name: 'mf' },
  };
  return {
    resolve: (ref) => {
      const c = correlations.find((x) => x.doc.meta.name === ref || x.doc.meta.id === ref);
      if (c !== undefined) return { key: c.doc.meta.key, kind: 'correlation', ...(c.doc.meta.name === undefined ? {} : { name: c.doc.meta.name }) };
      return base[ref];
    },
    mapperOf: (key) => (key === 'id-f' ? fwMapper : webMapper),
    isDisabled: (key) => key === 'id-d',
  };
}

describe('parseCorrelation (G1–G6)', () => {
  it('reads every type, timespan unit and option', () => {
    const { draft, problems } = one('  type: value_sum\n  rules: a\n  group-by: [c-ip]\n  timespan: 2w\n  generate: true\n  condition: {field: bytes, gt: 1.5}\n');
    expect(problems).toEqual([]);
    expect(draft).toMatchObject({ type: 'value_sum', timespanMs: 14 * 86_400_000, generate: true, condition: { ops: { gt: 1.5 } } });
    expect(draft!.refs.map((r) => r.value)).toEqual(['a']);
    for (const [span, ms] of [
      ['30s', 30_000],
      ['90m', 5_400_000],
      ['1h', 3_600_000],
      ['1d', 86_400_000],
      ['1M', 2_629_746_000],
      ['1y', 31_556_952_000],
    ] as const) {
      expect(one(`  type: event_count\n  rules: [a]\n  timespan: ${span}\n  condition: {gte: 2}\n`).draft?.timespanMs).toBe(ms);
    }
  });

  it('refuses timespans that are not integer + one unit', () => {
    for (const span of ['1h30m', '1.5h', '10', '0m', 'soon']) {
      const r = one(`  type: event_count\n  rules: [a]\n  timespan: ${span}\n  condition: {gte: 2}\n`);
      expect(r.codes, span).toEqual(['error:invalid-timespan']);
      expect(r.problems[0]).toMatchObject({ line: 6, col: 13 });
    }
  });

  it('refuses an unknown type, missing rules and unknown keys', () => {
    expect(one('  type: value_median\n  rules: [a]\n  timespan: 1h\n  condition: {gte: 2}\n').codes).toEqual(['error:invalid-correlation-type']);
    expect(one('  type: event_count\n  timespan: 1h\n  condition: {gte: 2}\n').codes).toEqual(['error:invalid-correlation']);
    expect(one('  type: event_count\n  rules: [a]\n  timespan: 1h\n  window: 3\n  condition: {gte: 2}\n').codes).toEqual(['error:unknown-key']);
  });

  it('needs a condition except for temporal types', () => {
    expect(one('  type: event_count\n  rules: [a]\n  timespan: 1h\n').codes).toEqual(['error:missing-condition']);
    const t = one('  type: temporal\n  rules: [a, b]\n  timespan: 1h\n');
    expect(t.codes).toEqual([]);
    expect(t.draft?.condition).toBeUndefined();
  });

  it('accepts a range with a warning and checks operator values', () => {
    expect(one('  type: event_count\n  rules: [a]\n  timespan: 1h\n  condition: {gt: 100, lte: 200}\n').codes).toEqual(['warning:condition-range']);
    expect(one('  type: event_count\n  rules: [a]\n  timespan: 1h\n  condition: {gte: 2.5}\n').codes).toEqual(['error:invalid-condition']);
    expect(one('  type: event_count\n  rules: [a]\n  timespan: 1h\n  condition: {}\n').codes).toEqual(['error:invalid-condition']);
    expect(one('  type: event_count\n  rules: [a]\n  timespan: 1h\n  condition: {gte: 1, ratio: 2}\n').codes).toEqual(['error:invalid-condition']);
  });

  it('needs field for value types and refuses it elsewhere', () => {
    expect(one('  type: value_count\n  rules: [a]\n  timespan: 1h\n  condition: {gte: 2}\n').codes).toEqual(['error:invalid-condition']);
    expect(one('  type: event_count\n  rules: [a]\n  timespan: 1h\n  condition: {gte: 2, field: x}\n').codes).toEqual(['error:invalid-condition']);
    const pct = one('  type: value_percentile\n  rules: [a]\n  timespan: 1h\n  condition: {field: x, lte: 1, percentile: 95}\n');
    expect(pct.codes).toEqual(['warning:experimental']);
    expect(pct.draft?.condition?.percentile).toBe(95);
  });

  it('refuses the boolean temporal condition draft with a clear message', () => {
    const r = one('  type: temporal\n  rules: [a, b]\n  timespan: 1h\n  condition: a and b\n');
    expect(r.codes).toEqual(['error:invalid-condition']);
    expect(r.problems[0]!.message).toMatch(/not supported/);
  });
});

describe('resolveCorrelations (G3, G5, G13, G18)', () => {
  function resolve(text: string) {
    const { drafts: ds, problems } = drafts(text);
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    const out: RuleProblem[] = [];
    const rules = resolveCorrelations(ds, context(ds), out);
    return { rules, problems: out, codes: out.map((p) => `${p.severity}:${p.code}`) };
  }

  it('resolves ids and names to keys and maps group-by and condition.field through the rules’ pipeline', () => {
    const { rules, problems } = resolve('title: x\nname: x\ncorrelation:\n  type: value_count\n  rules: [id-a, b]\n  group-by: [c-ip]\n  timespan: 5m\n  condition: {field: cs-host, gte: 3}\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'unmapped-field', line: 8, col: 22 });
    expect(problems[0]!.message).toMatch(/several ECS fields/);
    expect(rules).toEqual([]);
    const ok = resolve('title: x\nname: x\ncorrelation:\n  type: value_sum\n  rules: [id-a, b]\n  group-by: [c-ip]\n  timespan: 5m\n  condition: {field: bytes, gte: 3}\n');
    expect(ok.problems).toEqual([]);
    expect(ok.rules[0]).toMatchObject({ kind: 'correlation', key: 'x', rules: ['id-a', 'id-b'], groupBy: ['source.ip'], timespanMs: 300_000, condition: { gte: 3, field: ['http.response.bytes'] }, generate: false });
  });

  it('temporal without condition means all rules', () => {
    const { rules } = resolve('title: x\ncorrelation:\n  type: temporal_ordered\n  rules: [a, b, f]\n  timespan: 5m\n');
    expect(rules[0]!.condition).toEqual({ gte: 3 });
    expect(rules[0]!.groupBy).toEqual([]);
  });

  it('refuses a field two pipelines map differently, and maps aliases per rule', () => {
    const clash = resolve('title: x\ncorrelation:\n  type: temporal\n  rules: [a, f]\n  group-by: [SourceIP]\n  timespan: 5m\n');
    expect(clash.codes).toEqual(['error:unmapped-field']);
    expect(clash.problems[0]!.message).toMatch(/alias/);
    const aliased = resolve('title: x\ncorrelation:\n  type: temporal\n  rules: [a, f]\n  group-by: [ip]\n  timespan: 5m\n  aliases:\n    ip: {a: c-ip, f: dst_ip}\n');
    expect(aliased.problems).toEqual([]);
    expect(aliased.rules[0]).toMatchObject({ groupBy: ['ip'], aliases: { ip: { 'id-a': 'source.ip', 'id-f': 'destination.ip' } } });
  });

  it('checks aliases name listed rules and warns when one is missing', () => {
    expect(resolve('title: x\ncorrelation:\n  type: temporal\n  rules: [a, f]\n  group-by: [ip]\n  timespan: 5m\n  aliases:\n    ip: {zz: c-ip}\n').codes).toEqual([
      'error:invalid-alias',
      'warning:alias-incomplete',
    ]);
    expect(resolve('title: x\ncorrelation:\n  type: temporal\n  rules: [a, f]\n  group-by: [ip]\n  timespan: 5m\n  aliases:\n    ip: {a: c-ip}\n').codes).toEqual(['warning:alias-incomplete']);
  });

  it('reports unknown, disabled and filter references at their position', () => {
    const { codes, problems, rules } = resolve('title: x\ncorrelation:\n  type: event_count\n  rules: [nope, d, mf]\n  timespan: 5m\n  condition: {gte: 1}\n');
    expect(codes).toEqual(['error:unknown-rule', 'error:rule-disabled', 'error:invalid-reference']);
    expect(problems.map((p) => p.col)).toEqual([11, 17, 20]);
    expect(rules).toEqual([]);
  });

  it('builds chains inner first and maps the outer group-by through them', () => {
    const text = [
      'title: outer\nname: outer\ncorrelation:\n  type: temporal_ordered\n  rules: [inner, b]\n  group-by: [c-ip]\n  timespan: 15m',
      'title: inner\nname: inner\ncorrelation:\n  type: event_count\n  rules: [a]\n  group-by: [c-ip]\n  timespan: 10m\n  condition: {gte: 10}',
    ].join('\n---\n');
    const { rules, problems } = resolve(text);
    expect(problems).toEqual([]);
    expect(rules.map((r) => r.key)).toEqual(['inner', 'outer']);
    expect(rules[1]).toMatchObject({ rules: ['inner', 'id-b'], groupBy: ['source.ip'] });
  });

  it('refuses cycles and everything built on them', () => {
    const text = [
      'title: p\nname: p\ncorrelation:\n  type: temporal\n  rules: [q, a]\n  timespan: 15m',
      'title: q\nname: q\ncorrelation:\n  type: temporal\n  rules: [p]\n  timespan: 15m',
      'title: s\nname: s\ncorrelation:\n  type: temporal\n  rules: [s]\n  timespan: 15m',
    ].join('\n---\n');
    const { rules, codes, problems } = resolve(text);
    expect(rules).toEqual([]);
    expect(codes).toContain('error:correlation-cycle');
    expect(problems.find((p) => p.rule === 's')?.code).toBe('correlation-cycle');
    expect(new Set(problems.map((p) => p.rule))).toEqual(new Set(['p', 'q', 's']));
  });
});
