import { describe, expect, it } from 'vitest';
import { eventContext } from '../query/event-context.js';
import { compilePredicate } from '../query/predicate.js';
import { loadRuleText } from './load.js';
import { logsourceContains, mergeFilter } from './meta-filter.js';
import { parsePipeline } from './pipeline.js';
import type { CompiledDetection, DetectionRule } from './types.js';

const matches = (rule: DetectionRule, event: object): boolean => compilePredicate(rule.filter)(eventContext(event));

const RULES = `title: Compression with rar
id: 6f3e2987-db24-4c78-a860-b4f4095a7095
logsource: {category: process_creation, product: linux}
detection:
  selection: {process.name: rar}
  filter_x: {user.name: nobody}
  condition: selection and not filter_x
---
title: Sudo use
name: sudo_use
logsource: {category: process_creation, product: linux}
detection:
  selection: {process.name: sudo}
  condition: selection
---
title: DNS query
name: dns_query
logsource: {category: dns}
detection:
  selection: {query|endswith: .example}
  condition: selection
---
title: Count sudo
name: count_sudo
correlation: {type: event_count, rules: [sudo_use], timespan: 1h, condition: {gte: 3}}
`;

describe('meta-filters (H1–H7)', () => {
  it('restricts the named rules as (rule) and (filter), under a private prefix, and records it', () => {
    const set = loadRuleText(
      `${RULES}---
title: Exclude admin accounts
id: 11111111-2222-4333-8444-555555555555
logsource: {product: linux}
filter:
  rules: [6f3e2987-db24-4c78-a860-b4f4095a7095]
  selection: {user.name|startswith: adm_}
  condition: not selection
`,
      'f.yml',
    );
    expect(set.problems.filter((p) => p.severity === 'error')).toEqual([]);
    const rar = set.rules.find((r) => r.title === 'Compression with rar')!;
    expect(rar.filtersApplied).toEqual(['11111111-2222-4333-8444-555555555555']);
    expect([...rar.detection.selections.keys()]).toEqual(['selection', 'filter_x', '_filter1_selection']);
    expect(matches(rar, { process: { name: 'rar' }, user: { name: 'jdoe' } })).toBe(true);
    expect(matches(rar, { process: { name: 'rar' }, user: { name: 'adm_jdoe' } })).toBe(false);
    expect(matches(rar, { process: { name: 'rar' }, user: { name: 'nobody' } })).toBe(false);
    const sudo = set.rules.find((r) => r.key === 'sudo_use')!;
    expect(sudo.filtersApplied).toEqual([]);
    expect(set.filters).toEqual([
      expect.objectContaining({ key: '11111111-2222-4333-8444-555555555555', rules: ['6f3e2987-db24-4c78-a860-b4f4095a7095'], logsource: { product: 'linux' } }),
    ]);
  });

  it('applies `rules: any` (and an empty list) to every rule whose logsource it contains, never to correlations', () => {
    for (const rules of ['any', '[]']) {
      const set = loadRuleText(
        `${RULES}---
title: Not in the lab
logsource: {product: linux}
filter:
  rules: ${rules}
  lab: {host.name|startswith: lab-}
  condition: not lab
`,
        'f.yml',
      );
      expect(set.problems.filter((p) => p.severity === 'error')).toEqual([]);
      const applied = set.rules.filter((r) => r.filtersApplied.length > 0).map((r) => r.key);
      expect(applied).toEqual(['6f3e2987-db24-4c78-a860-b4f4095a7095', 'sudo_use']);
      expect(set.correlations.map((c) => c.key)).toEqual(['count_sudo']);
      const sudo = set.rules.find((r) => r.key === 'sudo_use')!;
      expect(matches(sudo, { process: { name: 'sudo' }, host: { name: 'lab-1' } })).toBe(false);
      expect(matches(sudo, { process: { name: 'sudo' }, host: { name: 'prod-1' } })).toBe(true);
      expect(set.filters[0]!.rules).toBe('any');
    }
  });

  it('AND-s several filters, each under its own prefix', () => {
    const set = loadRuleText(
      `${RULES}---
title: F1
name: f1
logsource: {product: linux}
filter: {rules: [sudo_use], selection: {user.name: root}, condition: not selection}
---
title: F2
name: f2
logsource: {category: process_creation}
filter: {rules: [sudo_use], selection: {host.name: lab}, condition: not selection}
`,
      'f.yml',
    );
    const sudo = set.rules.find((r) => r.key === 'sudo_use')!;
    expect(sudo.filtersApplied).toEqual(['f1', 'f2']);
    expect([...sudo.detection.selections.keys()]).toEqual(['selection', '_filter1_selection', '_filter2_selection']);
    expect(matches(sudo, { process: { name: 'sudo' }, user: { name: 'jdoe' }, host: { name: 'web' } })).toBe(true);
    expect(matches(sudo, { process: { name: 'sudo' }, user: { name: 'root' }, host: { name: 'web' } })).toBe(false);
    expect(matches(sudo, { process: { name: 'sudo' }, user: { name: 'jdoe' }, host: { name: 'lab' } })).toBe(false);
  });

  it('warns for unknown rules, correlations and logsources it does not contain', () => {
    const set = loadRuleText(
      `${RULES}---
title: Misdirected
name: mis
logsource: {product: linux}
filter:
  rules: [nope, count_sudo, dns_query]
  selection: {user.name: root}
  condition: not selection
`,
      'f.yml',
    );
    const mine = set.problems.filter((p) => p.rule === 'mis');
    expect(mine.map((p) => `${p.severity}:${p.code}:${p.line}`)).toEqual([
      'warning:unknown-rule:31',
      'warning:filter-on-correlation:31',
      'warning:filter-logsource-mismatch:31',
    ]);
    expect(set.rules.every((r) => r.filtersApplied.length === 0)).toBe(true);
  });

  it('maps the filter’s fields through the pipeline of each rule it applies to', () => {
    const { pipeline } = parsePipeline(
      'name: dns\nlogsources:\n  - logsource: {category: dns}\n    events: {event.dataset: zeek.dns}\nstrict: true\nfields:\n  query: dns.question.name\n',
      'p.yml',
    );
    const set = loadRuleText(
      `${RULES}---
title: Not google
name: ng
logsource: {category: dns}
filter: {rules: any, selection: {query|endswith: .google.com}, condition: not selection}
---
title: Bad field
name: bad
logsource: {category: dns}
filter: {rules: any, selection: {answer: x}, condition: not selection}
`,
      'f.yml',
      [pipeline!],
    );
    const dns = set.rules.find((r) => r.key === 'dns_query')!;
    expect(dns.filtersApplied).toEqual(['ng']);
    expect(matches(dns, { dns: { question: { name: 'x.example' } } })).toBe(true);
    expect(JSON.stringify(dns.filter)).toContain('dns.question.name');
    expect(set.disabled.map((d) => d.key)).toEqual(['bad']);
    expect(set.problems.find((p) => p.rule === 'bad')).toMatchObject({ severity: 'error', code: 'unmapped-field' });
  });

  it('validates the filter section', () => {
    const set = loadRuleText(
      `title: F
name: f
logsource: {product: linux}
filter:
  selection: {user.name: root}
  condition: [not selection]
`,
      'f.yml',
    );
    expect(set.problems.map((p) => `${p.code}:${p.line}`)).toEqual(['invalid-filter:5', 'invalid-filter:6']);
    expect(set.disabled.map((d) => d.key)).toEqual(['f']);
  });
});

describe('mergeFilter', () => {
  it('picks a prefix no selection uses', () => {
    const rule: CompiledDetection = {
      selections: new Map([['_filter1_x', { op: 'exists', field: 'a' }]]),
      condition: { op: 'ref', name: '_filter1_x' },
    };
    const filter: CompiledDetection = { selections: new Map([['x', { op: 'exists', field: 'b' }]]), condition: { op: 'not', child: { op: 'ref', name: 'x' } } };
    const merged = mergeFilter(rule, filter);
    expect([...merged.selections.keys()]).toEqual(['_filter1_x', '_filter2_x']);
    expect(merged.condition).toEqual({
      op: 'and',
      children: [
        { op: 'ref', name: '_filter1_x' },
        { op: 'not', child: { op: 'ref', name: '_filter2_x' } },
      ],
    });
  });

  it('tests logsource containment (B2)', () => {
    expect(logsourceContains({ product: 'linux' }, { product: 'linux', service: 'sshd' })).toBe(true);
    expect(logsourceContains({ product: 'linux', service: 'sshd' }, { product: 'linux' })).toBe(false);
    expect(logsourceContains({ category: 'dns' }, { product: 'linux' })).toBe(false);
  });
});
