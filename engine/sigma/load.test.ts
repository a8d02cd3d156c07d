import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventContext } from '../query/event-context.js';
import { compilePredicate } from '../query/predicate.js';
import { loadRuleSet, loadRuleText } from './load.js';
import { loadPipelines, parsePipeline } from './pipeline.js';
import type { Pipeline } from './pipeline.js';
import type { RuleProblem, RuleSet } from './types.js';

// The shipped SigmaHQ copy (rules/sigmahq) and the specification's examples, both in the repository.
const SHARED = 'rules/sigmahq';
const SPEC_EXAMPLES = 'test/fixtures/sigma-spec-examples';
const FIXTURES = 'test/fixtures/sigma-load';
const PIPELINES_DIR = 'rules/pipelines';

const errors = (set: RuleSet): RuleProblem[] => set.problems.filter((p) => p.severity === 'error');
const where = (p: RuleProblem): string => `${p.file}:${p.line}:${p.col} ${p.code}`;

/** The project's pipelines when they exist, else none (names pass through). */
async function projectPipelines(): Promise<Pipeline[]> {
  if (!existsSync(PIPELINES_DIR)) return [];
  const { pipelines, problems } = await loadPipelines(PIPELINES_DIR);
  expect(problems.filter((p) => p.severity === 'error').map(where)).toEqual([]);
  return pipelines;
}

describe('loadRuleText', () => {
  const { pipeline } = parsePipeline(
    'name: web\nlogsources:\n  - logsource: {category: webserver}\n    events: {event.dataset: nginx.access}\nstrict: true\nfields:\n  cs-method: http.request.method\n  c-ip: source.ip\n',
    'web.yml',
  );
  const pipelines = [pipeline!];

  it('loads several documents, keys them, maps fields and builds the rule filter', () => {
    const set = loadRuleText(
      `title: Posts
id: 0e95725d-7320-415d-80f7-004da920fc11
logsource: {category: webserver}
fields: [c-ip]
detection:
  sel: {cs-method: POST}
  not_me: {c-ip: 10.0.0.1}
  condition: sel and not not_me
---
title: No id, no name
logsource: {product: linux}
detection:
  kw: [boom]
  condition: kw
`,
      'r.yml',
      pipelines,
    );
    expect(errors(set)).toEqual([]);
    expect(set.rules.map((r) => r.key)).toEqual(['0e95725d-7320-415d-80f7-004da920fc11', 'r.yml#2']);
    const [web, linux] = set.rules;
    expect(web).toMatchObject({ kind: 'detection', pipeline: 'web', fields: ['source.ip'], logsource: { category: 'webserver' }, filtersApplied: [] });
    const match = compilePredicate(web!.filter);
    expect(match(eventContext({ http: { request: { method: 'post' } }, source: { ip: '10.0.0.2' } }))).toBe(true);
    expect(match(eventContext({ http: { request: { method: 'POST' } }, source: { ip: '10.0.0.1' } }))).toBe(false);
    expect(linux!.pipeline).toBeUndefined();
    expect(set.problems).toEqual([expect.objectContaining({ severity: 'warning', code: 'no-pipeline', line: 11, rule: 'r.yml#2' })]);
    expect(Object.isFrozen(set.rules)).toBe(true);
    expect(Object.isFrozen(web)).toBe(true);
    expect(Object.isFrozen(web!.filter)).toBe(true);
    expect(set.logsources.logsourcesOf({ event: { dataset: 'nginx.access' } })).toEqual([{ category: 'webserver' }]);
  });

  it('disables a rule with an unmapped field under a strict pipeline, and keeps the others', () => {
    const set = loadRuleText(
      'title: a\nname: a\nlogsource: {category: webserver}\ndetection: {s: {cs-bogus: 1}, condition: s}\n---\ntitle: b\nname: b\nlogsource: {category: webserver}\ndetection: {s: {cs-method: GET}, condition: s}\n',
      'r.yml',
      pipelines,
    );
    expect(set.rules.map((r) => r.key)).toEqual(['b']);
    expect(set.disabled).toEqual([expect.objectContaining({ file: 'r.yml', key: 'a', title: 'a' })]);
    expect(set.disabled[0]!.problems[0]).toMatchObject({ code: 'unmapped-field', line: 4, severity: 'error' });
  });

  it('refuses duplicate ids and names across the set', () => {
    const set = loadRuleText(
      'title: a\nname: n\nlogsource: {product: linux}\ndetection: {s: [x], condition: s}\n---\ntitle: b\nname: n\nlogsource: {product: linux}\ndetection: {s: [y], condition: s}\n' +
        '---\ntitle: c\ncorrelation: {type: event_count, rules: [n], timespan: 1m, condition: {gte: 2}}\n',
      'r.yml',
    );
    expect(errors(set).map((p) => `${p.code}:${p.line}`)).toEqual(['duplicate-key:6']);
    expect(set.rules.map((r) => r.title)).toEqual(['a']);
    // References go to the first document with the name, which loaded.
    expect(set.correlations.map((c) => [c.title, c.rules])).toEqual([['c', ['n']]]);
  });

  it('reports the v1 aggregation once, as use-correlation', () => {
    const set = loadRuleText('title: a\nlogsource: {product: linux}\ndetection:\n  s: [x]\n  condition: s | count() by host > 3\n', 'r.yml');
    expect(errors(set).map((p) => `${p.code}:${p.line}:${p.col}`)).toEqual(['use-correlation:5:14']);
  });

  it('keeps loading the other documents of a file when one is not valid YAML', () => {
    const set = loadRuleText('title: a\nname: a\nlogsource: {product: linux}\ndetection: {s: [x], condition: s}\n---\ntitle: [unclosed\n', 'r.yml');
    expect(set.rules.map((r) => r.key)).toEqual(['a']);
    expect(errors(set)).toHaveLength(1);
    expect(errors(set)[0]!.line).toBeGreaterThanOrEqual(6);
    expect(set.disabled).toEqual([expect.objectContaining({ file: 'r.yml' })]);
  });
});

describe('loadRuleSet: bundles and references', () => {
  let pipelines: Pipeline[];
  beforeAll(async () => {
    pipelines = await projectPipelines();
  });

  it('loads a correlation bundle with a chain (checklist G example)', async () => {
    const set = await loadRuleSet({ paths: [join(FIXTURES, 'bundles/ssh-brute-force.yml')], pipelines });
    expect(errors(set).map(where)).toEqual([]);
    expect(set.rules.map((r) => r.key)).toEqual(['ssh_failed_login', 'ssh_success']);
    expect(set.correlations.map((c) => c.key)).toEqual(['ssh_many_failures', '1b0b6ad4-2f5c-4a3e-9d55-3d7c1f0e7a01']);
    expect(set.correlations[1]).toMatchObject({
      type: 'temporal_ordered',
      rules: ['ssh_many_failures', 'ssh_success'],
      groupBy: ['source.ip', 'user.name'],
      timespanMs: 15 * 60_000,
      condition: { gte: 2 },
      level: 'high',
      generate: false,
    });
    expect(set.correlations[0]).toMatchObject({ type: 'event_count', rules: ['ssh_failed_login'], condition: { gte: 10 }, timespanMs: 600_000 });
  });

  it('resolves references across files of one load', async () => {
    const set = await loadRuleSet({ paths: [join(FIXTURES, 'bundles/cross-file')], pipelines });
    expect(errors(set).map(where)).toEqual([]);
    expect(set.correlations).toEqual([
      expect.objectContaining({ type: 'value_count', rules: ['fw_denied'], groupBy: ['source.ip'], condition: { gte: 10, lt: 1000, field: ['destination.port'] }, generate: true }),
    ]);
    expect(set.problems.map((p) => p.code)).toContain('condition-range');
    // The same correlation alone: its rule is unknown.
    const alone = await loadRuleSet({ paths: [join(FIXTURES, 'bundles/cross-file/scan.yml')], pipelines });
    expect(errors(alone).map((p) => `${p.code}:${p.line}:${p.col}`)).toEqual(['unknown-rule:6:12']);
  });

  it('disables a broken document and the correlation that needs it, and loads the rest', async () => {
    const set = await loadRuleSet({ paths: [join(FIXTURES, 'bundles/broken.yml')], pipelines });
    expect(set.rules.map((r) => r.key)).toEqual(['good_rule']);
    expect(set.correlations.map((c) => c.key)).toEqual(['needs_good']);
    expect(set.disabled.map((d) => d.key)).toEqual(['broken_rule', 'needs_broken']);
    const needs = set.disabled[1]!.problems;
    expect(needs).toEqual([expect.objectContaining({ code: 'rule-disabled', line: 21, severity: 'error' })]);
    expect(set.disabled[0]!.problems[0]!.line).toBe(14);
  });

  describe('the specification examples (test/fixtures/sigma-spec-examples)', async () => {
    const dir = join(SPEC_EXAMPLES, 'correlation');
    const names = (await readdir(dir)).sort();
    it.each(names)('correlation %s loads with its base rules', async (name) => {
      const set = await loadRuleSet({ paths: [join(dir, name), join(FIXTURES, 'spec-base/windows-rules.yml')], pipelines });
      expect(errors(set).map(where)).toEqual([]);
      expect(set.correlations).toHaveLength(1);
    });

    it('filter_1.yml tunes both rules it names', async () => {
      const set = await loadRuleSet({ paths: [join(SPEC_EXAMPLES, 'filter/filter_1.yml'), join(FIXTURES, 'spec-base/windows-rules.yml')], pipelines });
      expect(errors(set).map(where)).toEqual([]);
      expect(set.filters).toHaveLength(1);
      expect(set.rules.filter((r) => r.filtersApplied.length === 1).map((r) => r.key)).toEqual([
        '6f3e2987-db24-4c78-a860-b4f4095a7095',
        'df0841c0-9846-4e9f-ad8a-7df91571771b',
      ]);
    });

    it('filter_ecs.yml tunes both rules it names', async () => {
      const set = await loadRuleSet({ paths: [join(SPEC_EXAMPLES, 'filter/filter_ecs.yml'), join(FIXTURES, 'spec-base/dns-rules.yml')], pipelines });
      expect(errors(set).map(where)).toEqual([]);
      expect(set.rules.map((r) => r.filtersApplied.length)).toEqual([1, 1]);
    });
  });
});

describe('loadRuleSet: the SigmaHQ rules', () => {
  it('loads every rule of rules, rules-compliance, rules-emerging-threats and rules-threat-hunting without an error', async () => {
    const pipelines = await projectPipelines();
    const paths = ['rules', 'rules-compliance', 'rules-emerging-threats', 'rules-threat-hunting'].map((d) => join(SHARED, d));
    const set = await loadRuleSet({ paths, pipelines });
    expect(errors(set).map((p) => `${where(p)} ${p.message}`)).toEqual([]);
    expect(set.disabled).toEqual([]);
    expect(set.rules.length).toBe(468);
    // Every rule keeps its author (DRL 1.1) and its id as key.
    expect(set.rules.every((r) => r.author !== undefined && r.key === r.id)).toBe(true);
  }, 60_000);

  it('fails every file of unsupported/ with a clear problem', async () => {
    const dir = join(SHARED, 'unsupported');
    const set = await loadRuleSet({ paths: [dir], pipelines: await projectPipelines() });
    expect(set.rules).toEqual([]);
    const files = new Set(set.disabled.map((d) => d.file));
    expect(files.size).toBe(22);
    // The reasons: v1 aggregation, the authors' own status, a pseudo-aggregation that is no
    // condition, Sigma v1 slash dates, fields no pipeline knows.
    const clear = new Set(['use-correlation', 'unsupported-status', 'invalid-condition', 'condition-syntax', 'invalid-date', 'unmapped-field']);
    for (const d of set.disabled) {
      const codes = d.problems.filter((p) => p.severity === 'error').map((p) => p.code);
      expect(codes.some((c) => clear.has(c)), `${d.file}: ${codes.join(', ')}`).toBe(true);
    }
    const pipe = set.disabled.filter((d) => d.problems.some((p) => p.code === 'use-correlation'));
    expect(pipe.length).toBeGreaterThanOrEqual(18);
  }, 60_000);
});

describe('loadRuleSet: walking files', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'wp-rules-'));
    const rule = (name: string): string => `title: ${name}\nname: ${name}\nlogsource: {product: linux}\ndetection: {s: [${name}], condition: s}\n`;
    await mkdir(join(root, 'b/deep'), { recursive: true });
    await mkdir(join(root, 'a'));
    await mkdir(join(root, '.hidden'));
    await mkdir(join(root, 'skip'));
    await writeFile(join(root, 'b/deep/z.yaml'), rule('z'));
    await writeFile(join(root, 'b/y.yml'), rule('y'));
    await writeFile(join(root, 'a/x.yml'), rule('x'));
    await writeFile(join(root, 'a/x.tests.yml'), 'tests: []\n');
    await writeFile(join(root, 'a/readme.md'), '# not a rule');
    await writeFile(join(root, '.hidden/h.yml'), rule('h'));
    await writeFile(join(root, 'skip/s.yml'), rule('s'));
    await writeFile(join(root, 'a/huge.yml'), `title: huge\n# ${'x'.repeat(1024 * 1024)}\n`);
    await symlink(root, join(root, 'b/loop'));
    await symlink(join(root, 'a/x.yml'), join(root, 'b/x-again.yml'));
  });
  afterAll(async () => rm(root, { recursive: true, force: true }));

  it('reads .yml/.yaml in name order, once each, skipping tests, hidden entries, exclusions and loops', async () => {
    const set = await loadRuleSet({ paths: [root, join(root, 'a/x.yml'), join(root, 'missing')], exclude: [join(root, 'skip')] });
    expect(set.rules.map((r) => r.key)).toEqual(['x', 'z', 'y']);
    expect(errors(set).map((p) => p.code)).toEqual(['file-too-large', 'unreadable-path']);
  });

  it('leaves the pipelines directory out when loading a tree that holds it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wp-rules-p-'));
    try {
      await mkdir(join(dir, 'pipelines'));
      await writeFile(join(dir, 'pipelines/linux.yml'), 'name: linux\nlogsources:\n  - logsource: {product: linux}\n    events: {host.os.type: linux}\n');
      await writeFile(join(dir, 'r.yml'), 'title: r\nlogsource: {product: linux}\ndetection: {s: [r], condition: s}\n');
      const set = await loadRuleSet({ paths: [dir], pipelinesDir: join(dir, 'pipelines') });
      expect(set.problems).toEqual([]);
      expect(set.rules.map((r) => r.pipeline)).toEqual(['linux']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
