import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FilterNode } from '../../core/query/filter.js';
import { runWatchpost } from '../../test/helpers/cli.js';
import { durationMs } from './rules-test-runner.js';
import { unsupportedFor } from './rules.js';

const FIXTURES = new URL('../../test/fixtures/rules-cli/', import.meta.url).pathname;
const PIPELINES = ['--pipelines', join(FIXTURES, 'pipelines')];
const fixture = (path: string): string => join(FIXTURES, path);
const SQLI_ID = '6d0f6a52-3c1e-4c39-9a51-000000000003';

describe('watchpost rules validate', () => {
  it('loads a clean pack: no problem lines, the summary, exit 0', async () => {
    const { code, stdout } = await runWatchpost(['rules', 'validate', fixture('pack'), ...PIPELINES]);
    expect(stdout).toMatch(/^rules: 2 rules, 1 correlations, 0 filters loaded; 0 disabled; 0 errors, \d+ warnings$/m);
    expect(stdout).not.toMatch(/ error /);
    expect(code).toBe(0);
  }, 60_000);

  it('prints every problem as file:line:col severity code message and exits 1 on an error', async () => {
    const { code, stdout } = await runWatchpost(['rules', 'validate', fixture('broken'), ...PIPELINES]);
    expect(code).toBe(1);
    const lines = stdout.split('\n').filter((line) => line.includes('bad.yml:'));
    // The unknown modifier is on line 8 of the first document.
    expect(lines.some((line) => /^test\/fixtures\/rules-cli\/broken\/bad\.yml:8:\d+ error [a-z-]+ .*nosuchmodifier/.test(line))).toBe(true);
    // The second document loads (an unused selection is a warning, not an error).
    expect(stdout).toMatch(/^rules: 1 rules, 0 correlations, 0 filters loaded; 1 disabled; [1-9]\d* errors, \d+ warnings$/m);
  }, 60_000);

  it('--json gives the summary and the located problems', async () => {
    const { code, stdout } = await runWatchpost(['rules', 'validate', fixture('broken'), ...PIPELINES, '--json']);
    expect(code).toBe(1);
    const out = JSON.parse(stdout) as { summary: { rules: number; disabled: number; errors: number }; problems: { file: string; line: number; col: number; severity: string; code: string }[] };
    expect(out.summary).toMatchObject({ rules: 1, disabled: 1 });
    const error = out.problems.find((p) => p.severity === 'error');
    expect(error).toMatchObject({ file: 'test/fixtures/rules-cli/broken/bad.yml', line: 8 });
    expect(error?.code).toMatch(/^[a-z-]+$/);
  }, 60_000);

  it('refuses a path that does not exist', async () => {
    const { code, stderr } = await runWatchpost(['rules', 'validate', fixture('nope'), ...PIPELINES]);
    expect(code).toBe(1);
    expect(stderr).toContain('cannot read');
  }, 60_000);
});

describe('watchpost rules test', () => {
  it('passes the pack: match/nomatch with raw lines and ECS events, a correlation sequence, an expect: [] sequence', async () => {
    const { code, stdout } = await runWatchpost(['rules', 'test', fixture('pack'), ...PIPELINES, '--require-tests']);
    expect(stdout).toMatch(/^PASS test\/fixtures\/rules-cli\/pack\/ssh\/ssh-brute-force\.tests\.yml:\d+ six failures in half a minute raise one brute-force alert$/m);
    expect(stdout).toMatch(/^PASS .*five failures over ten minutes raise nothing$/m);
    expect(stdout).toMatch(/^PASS .*web-sqli\.tests\.yml:\d+ union select in the query string, any case$/m);
    expect(stdout).toMatch(/^PASS .*pack requirements$/m);
    expect(stdout).not.toContain('FAIL');
    expect(stdout).toMatch(/^rules test: 6 passed, 0 failed$/m);
    expect(code).toBe(0);
  }, 60_000);

  it('fails with the reason: no rule matched, which rule fired on what, a rule file without tests', async () => {
    const { code, stdout } = await runWatchpost(['rules', 'test', fixture('failing'), ...PIPELINES, '--require-tests']);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^FAIL test\/fixtures\/rules-cli\/failing\/wrong\.tests\.yml:2 a GET is wrongly expected to match\n {5}line 4: expected a rule of the file to match; none did$/m);
    expect(stdout).toMatch(/^FAIL .*:5 a TRACE is wrongly expected not to match\n {5}line 7: expected no rule of the file to match; 6d0f6a52-3c1e-4c39-9a51-000000000008 "TRACE requests \(fixture\)" fired; selections selection; on http\.request\.method="trace"$/m);
    expect(stdout).toMatch(/^PASS .*:8 a good case$/m);
    expect(stdout).toMatch(/^FAIL test\/fixtures\/rules-cli\/failing\/untested\.yml:1 tests file\n {5}no tests file: write untested\.tests\.yml next to it/m);
    expect(stdout).toMatch(/^rules test: 2 passed, 3 failed$/m);
  }, 60_000);

  it('reports a bad tests file with its line, and a wrong expectation with what fired', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wp-rules-test-'));
    writeFileSync(join(dir, 'trace.yml'), `title: TRACE\nid: 6d0f6a52-3c1e-4c39-9a51-00000000000a\nlogsource: {category: webserver}\ndetection:\n  sel: {cs-method: TRACE}\n  condition: sel\n`);
    writeFileSync(
      join(dir, 'trace.tests.yml'),
      [
        'tests:',
        '  - name: two traces, one expected',
        '    events:',
        '      - {repeat: 2, every: 1s, event: {event: {dataset: nginx.access}, http: {request: {method: TRACE}}}}',
        '    expect:',
        '      - {rule: TRACE, count: 1}',
        '  - name: an unknown rule',
        '    events:',
        '      - {event: {dataset: nginx.access}, http: {request: {method: GET}}}',
        '    expect:',
        '      - {rule: no-such-rule}',
        '',
      ].join('\n'),
    );
    const { code, stdout } = await runWatchpost(['rules', 'test', dir, ...PIPELINES]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/FAIL .*trace\.tests\.yml:2 two traces, one expected\n {5}line 6: expected 6d0f6a52-3c1e-4c39-9a51-00000000000a to fire 1 time; it fired 2 times/);
    expect(stdout).toMatch(/line 11: no loaded rule has the id, name or title "no-such-rule"/);

    writeFileSync(join(dir, 'trace.tests.yml'), 'tests:\n  - name: typo\n    matches:\n      - {}\n');
    const bad = await runWatchpost(['rules', 'test', dir, ...PIPELINES]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAIL .*trace\.tests\.yml:3 tests file\n {5}unknown key "matches"/);
  }, 60_000);
});

describe('watchpost rules convert', () => {
  const rules = ['--rules', fixture('pack'), '--rules', fixture('convert'), ...PIPELINES];

  it('prints Query DSL: the filter compiled as the Elasticsearch store compiles it', async () => {
    const { code, stdout } = await runWatchpost(['rules', 'convert', fixture('pack/web/web-sqli.yml'), '--to', 'es', ...rules]);
    expect(code).toBe(0);
    const dsl = JSON.stringify(JSON.parse(stdout));
    // Case-insensitive contains on the folded multi-field, the filter as must_not.
    expect(dsl).toContain('"url.original.lower":{"value":"*union select*"}');
    expect(dsl).toContain('"must_not"');
    expect(dsl).toContain('options');
  }, 60_000);

  it('prints SQL with its parameters, and KQL; a rule key works like its file', async () => {
    const sql = await runWatchpost(['rules', 'convert', SQLI_ID, '--to', 'sql', ...rules]);
    expect(sql.code).toBe(0);
    expect(sql.stdout).toMatch(/^WHERE .*NOT/m);
    const params = JSON.parse(/^-- params: (.*)$/m.exec(sql.stdout)?.[1] ?? 'null') as unknown[];
    expect(params).toContain('union select');
    const kql = await runWatchpost(['rules', 'convert', SQLI_ID, '--to', 'kql', ...rules]);
    expect(kql.code).toBe(0);
    expect(kql.stdout).toMatch(/url\.original/);
    expect(kql.stdout).toMatch(/not /i);
  }, 60_000);

  it('refuses what a target cannot express: regex in KQL, fieldref anywhere, correlations', async () => {
    const regexKql = await runWatchpost(['rules', 'convert', fixture('convert/regex.yml'), '--to', 'kql', ...rules]);
    expect(regexKql.code).toBe(1);
    expect(regexKql.stderr).toContain('KQL has no regular expressions (|re on url.original)');
    const regexEs = await runWatchpost(['rules', 'convert', fixture('convert/regex.yml'), '--to', 'es', ...rules]);
    expect(regexEs.code).toBe(0);
    expect(regexEs.stdout).toContain('regexp');
    const fieldref = await runWatchpost(['rules', 'convert', fixture('convert/fieldref.yml'), '--to', 'es', ...rules]);
    expect(fieldref.code).toBe(1);
    expect(fieldref.stderr).toContain('fieldref (source.ip compared with destination.ip) runs in the streaming engine only');
    const correlation = await runWatchpost(['rules', 'convert', 'fixture_ssh_brute_force', '--to', 'es', ...rules]);
    expect(correlation.code).toBe(1);
    expect(correlation.stderr).toContain('correlations run in the streaming engine only');
    const unknown = await runWatchpost(['rules', 'convert', 'no-such-rule', '--to', 'es', ...rules]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no loaded rule is called "no-such-rule"');
  }, 60_000);
});

describe('unsupportedFor', () => {
  const filter: FilterNode = {
    op: 'and',
    children: [
      { op: 'regex', field: 'url.original', pattern: 'a+' },
      { op: 'not', child: { op: 'timepart', field: '@timestamp', part: 'hour', eq: 3 } },
      { op: 'eq', field: 'user.name', value: 'Root', caseSensitive: true },
    ],
  };
  it('names each construct a target lacks', () => {
    expect(unsupportedFor(filter, 'es')).toEqual(['the hour modifier on @timestamp runs in the streaming engine only']);
    expect(unsupportedFor(filter, 'kql')).toEqual([
      'KQL has no regular expressions (|re on url.original): use --to es or --to sql',
      'the hour modifier on @timestamp runs in the streaming engine only',
      'KQL has no case-sensitive match (|cased on user.name): use --to es or --to sql',
    ]);
  });
});

describe('durationMs', () => {
  it('reads the durations of every:', () => {
    expect(durationMs('500ms')).toBe(500);
    expect(durationMs('5s')).toBe(5000);
    expect(durationMs('2m')).toBe(120_000);
    expect(durationMs('1h')).toBe(3_600_000);
    expect(durationMs('1d')).toBe(86_400_000);
    expect(durationMs(3)).toBe(3000);
    expect(durationMs('1.5h')).toBeUndefined();
    expect(durationMs('5 minutes')).toBeUndefined();
  });
});
