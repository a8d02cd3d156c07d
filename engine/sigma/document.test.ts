import { describe, expect, it } from 'vitest';
import { hasLegacyCondition, validateDocument } from './document.js';
import type { RuleProblem } from './types.js';
import { parseYamlDocuments } from './yaml.js';

function validate(text: string, file = 'rules/x.yml', index = 1) {
  const { docs, problems: yamlProblems } = parseYamlDocuments(text, file);
  expect(yamlProblems).toEqual([]);
  const problems: RuleProblem[] = [];
  const doc = validateDocument(docs[0]!, file, index, problems);
  return { doc, problems, codes: problems.map((p) => `${p.severity}:${p.code}`) };
}

const RULE = `title: Test rule
id: 0e95725d-7320-415d-80f7-004da920fc11
status: test
level: high
date: 2024-02-29
modified: 2025-01-05
author: Jane Doe, John Roe
description: Something
references: [https://example.org]
falsepositives: [admins]
fields: [c-uri]
tags: [attack.initial-access, attack.t1190, cve.2021-44228, detection.emerging-threats, tlp.clear]
related:
  - {id: 5638f7c0-ac70-491d-8465-2a65075e0d86, type: derived}
simulation: {tool: atomic}
logsource: {category: webserver}
detection:
  sel: {cs-method: POST}
  condition: sel
`;

describe('validateDocument metadata (A1–A15)', () => {
  it('reads a complete rule without problems and keeps custom keys', () => {
    const { doc, problems } = validate(RULE);
    expect(problems).toEqual([]);
    expect(doc?.kind).toBe('detection');
    expect(doc?.meta).toMatchObject({
      id: '0e95725d-7320-415d-80f7-004da920fc11',
      key: '0e95725d-7320-415d-80f7-004da920fc11',
      title: 'Test rule',
      status: 'test',
      level: 'high',
      date: '2024-02-29',
      modified: '2025-01-05',
      author: 'Jane Doe, John Roe',
      references: ['https://example.org'],
      falsepositives: ['admins'],
      fields: ['c-uri'],
      custom: { simulation: { tool: 'atomic' } },
    });
    expect(doc?.meta.tags).toHaveLength(5);
    expect(doc?.logsource).toEqual({ category: 'webserver' });
    expect(doc?.meta.source).toEqual({ file: 'rules/x.yml', line: 1, col: 1 });
  });

  it('keys a document by id, else name, else file#index', () => {
    expect(validate('title: a\nname: my_rule\nlogsource: {product: linux}\ndetection: {s: {a: 1}, condition: s}\n').doc?.meta.key).toBe('my_rule');
    expect(validate('title: a\nlogsource: {product: linux}\ndetection: {s: {a: 1}, condition: s}\n', 'f.yml', 3).doc?.meta.key).toBe('f.yml#3');
  });

  it('defaults level to medium', () => {
    expect(validate('title: a\nlogsource: {product: linux}\ndetection: {s: {a: 1}, condition: s}\n').doc?.meta.level).toBe('medium');
  });

  it('requires a title of at most 256 characters, at its position', () => {
    const missing = validate('logsource: {product: linux}\ndetection: {s: {a: 1}, condition: s}\n');
    expect(missing.codes).toContain('error:missing-title');
    const long = validate(`title: ${'x'.repeat(257)}\nlogsource: {product: linux}\ndetection: {s: {a: 1}, condition: s}\n`);
    expect(long.problems).toContainEqual(expect.objectContaining({ code: 'too-long', line: 1, col: 8, severity: 'error' }));
  });

  it('refuses unknown status and level values', () => {
    const { problems } = validate('title: a\nstatus: beta\nlevel: severe\nlogsource: {product: linux}\ndetection: {s: {a: 1}, condition: s}\n');
    expect(problems.map((p) => [p.code, p.line])).toEqual([
      ['invalid-status', 2],
      ['invalid-level', 3],
    ]);
  });

  it("refuses status 'unsupported' with a clear reason", () => {
    const { problems } = validate('title: a\nstatus: unsupported\nlogsource: {product: linux}\ndetection: {s: {a: 1}, condition: s}\n');
    expect(problems).toEqual([expect.objectContaining({ code: 'unsupported-status', severity: 'error', line: 2 })]);
    expect(problems[0]!.message).toMatch(/correlation/);
  });

  it('accepts YYYY-MM-DD dates only, as strings, and real calendar days', () => {
    const slash = validate('title: a\ndate: 2020/04/05\nlogsource: {product: linux}\ndetection: {s: {a: 1}, condition: s}\n');
    expect(slash.codes).toEqual(['error:invalid-date']);
    const feb30 = validate("title: a\nmodified: '2023-02-30'\nlogsource: {product: linux}\ndetection: {s: {a: 1}, condition: s}\n");
    expect(feb30.codes).toEqual(['error:invalid-date']);
  });

  it('checks tag syntax and warns on unknown namespaces without a hard-coded ATT&CK list', () => {
    const { problems, doc } = validate(
      'title: a\ntags: [attack.some-new-tactic, attack.privilege_escalation, foo.bar, Attack.T1, notag, attack.t1190, attack.t1190]\nlogsource: {product: linux}\ndetection: {s: {a: 1}, condition: s}\n',
    );
    expect(problems.map((p) => `${p.severity}:${p.code}`)).toEqual([
      'warning:tag-syntax', // underscore in a tactic
      'warning:unknown-tag-namespace',
      'warning:tag-syntax', // upper case
      'error:invalid-tag', // no namespace
      'warning:duplicate-tag',
    ]);
    expect(doc?.meta.tags).toContain('attack.some-new-tactic');
  });

  it('validates related entries', () => {
    const { codes } = validate('title: a\nrelated: [{id: x, type: cousin}, 3]\nlogsource: {product: linux}\ndetection: {s: {a: 1}, condition: s}\n');
    expect(codes).toEqual(['error:invalid-related', 'error:invalid-related']);
  });

  it('warns on a non-UUID id but keeps it as the key', () => {
    const { codes, doc } = validate('title: a\nid: rule-1\nlogsource: {product: linux}\ndetection: {s: {a: 1}, condition: s}\n');
    expect(codes).toEqual(['warning:invalid-id']);
    expect(doc?.meta.key).toBe('rule-1');
  });

  it('requires a logsource with at least one attribute (B1) and lower-cases values', () => {
    expect(validate('title: a\ndetection: {s: {a: 1}, condition: s}\n').codes).toEqual(['error:missing-logsource']);
    expect(validate('title: a\nlogsource: {definition: x}\ndetection: {s: {a: 1}, condition: s}\n').codes).toEqual(['error:invalid-logsource']);
    const upper = validate('title: a\nlogsource: {product: Linux}\ndetection: {s: {a: 1}, condition: s}\n');
    expect(upper.codes).toEqual(['warning:logsource-syntax']);
    expect(upper.doc?.logsource).toEqual({ product: 'linux' });
  });

  it('rejects v1 aggregation with use-correlation (A13)', () => {
    const text = 'title: a\nlogsource: {product: linux}\ndetection:\n  s: {a: 1}\n  timeframe: 1h\n  condition: s | count() by src_ip > 10\n';
    const { problems } = validate(text);
    expect(problems.map((p) => [p.code, p.line])).toEqual([
      ['use-correlation', 5],
      ['use-correlation', 6],
    ]);
    const { docs } = parseYamlDocuments(text, 'f.yml');
    expect(hasLegacyCondition(docs[0] as never)).toBe(true);
  });

  it('tells correlations and filters apart and refuses a document with two sections', () => {
    expect(validate('title: c\ncorrelation: {type: temporal}\n').doc?.kind).toBe('correlation');
    expect(validate('title: f\nlogsource: {product: linux}\nfilter: {rules: any}\n').doc?.kind).toBe('filter');
    expect(validate('title: c\ncorrelation: {}\ndetection: {}\n').codes).toContain('error:ambiguous-document');
    expect(validate('title: c\nlogsource: {product: linux}\n').codes).toContain('error:missing-detection');
  });

  it('refuses a document that is not a map', () => {
    expect(validate('- a\n- b\n').codes).toEqual(['error:invalid-document']);
  });
});
