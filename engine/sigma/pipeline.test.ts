import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PASS_THROUGH_MAPPER,
  createLogsourceResolver,
  fieldMapperFor,
  loadPipelines,
  logsourceFit,
  parsePipeline,
  parsePipelineTexts,
  selectPipeline,
} from './pipeline.js';
import type { Pipeline } from './pipeline.js';

const WEBSERVER = `name: webserver
description: Web server access logs
priority: 10
logsources:
  - logsource: {category: webserver}
    events:
      event.dataset: [nginx.access, apache.access]
strict: true
keywords: [url.original, message]
fields:
  cs-uri-query: url.original
  cs-host: [url.domain, destination.domain]
values:
  Action:
    Denied: [deny, drop]
`;

const LINUX = `name: linux
logsources:
  - logsource: {product: linux, service: sshd}
    events: {event.dataset: system.auth, process.name: sshd}
  - logsource: {product: linux}
    events: {host.os.type: linux}
fields:
  USER: user.effective.name
`;

function pipeline(text: string, file = 'rules/pipelines/p.yml'): Pipeline {
  const r = parsePipeline(text, file);
  expect(r.problems).toEqual([]);
  return r.pipeline!;
}

describe('parsePipeline', () => {
  it('reads the format of docs/specs/rules.md', () => {
    const p = pipeline(WEBSERVER);
    expect(p).toMatchObject({ name: 'webserver', description: 'Web server access logs', priority: 10, strict: true, keywords: ['url.original', 'message'] });
    expect(p.fields.get('cs-host')).toEqual(['url.domain', 'destination.domain']);
    expect(p.logsources[0]!.logsource).toEqual({ category: 'webserver' });
    expect([...p.logsources[0]!.events.get('event.dataset')!]).toEqual(['nginx.access', 'apache.access']);
    expect(p.values.get('action')?.get('denied')).toEqual(['deny', 'drop']);
  });

  it('defaults priority 0, strict false, keywords message and event.original', () => {
    const p = pipeline(LINUX);
    expect(p).toMatchObject({ priority: 0, strict: false, keywords: ['message', 'event.original'] });
  });

  it('reports every problem with file:line:col', () => {
    const r = parsePipeline('name: Bad Name\npriority: high\nstrict: maybe\nlogsources:\n  - logsource: {colour: red}\n    events: {}\nfields: {a: [1]}\nextra: 1\n', 'p.yml');
    expect(r.pipeline).toBeUndefined();
    expect(r.problems.map((p) => `${p.line}:${p.col}:${p.code}`)).toEqual([
      '8:1:unknown-key',
      '1:7:invalid-pipeline',
      '2:11:invalid-pipeline',
      '3:9:invalid-pipeline',
      '5:17:unknown-key',
      '5:16:invalid-pipeline',
      '6:13:invalid-pipeline',
      '7:14:invalid-pipeline',
      '7:13:invalid-pipeline',
    ]);
    expect(r.problems.every((p) => p.file === 'p.yml' && p.severity === 'error')).toBe(true);
  });

  it('refuses a second pipeline with the same name', () => {
    const r = parsePipelineTexts([
      { file: 'a.yml', text: LINUX },
      { file: 'b.yml', text: LINUX },
    ]);
    expect(r.pipelines.map((p) => p.file)).toEqual(['a.yml']);
    expect(r.problems).toEqual([expect.objectContaining({ file: 'b.yml', code: 'duplicate-pipeline' })]);
  });

  it('loads a directory in file name order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wp-pipelines-'));
    try {
      await writeFile(join(dir, 'b.yml'), WEBSERVER);
      await writeFile(join(dir, 'a.yaml'), LINUX);
      await writeFile(join(dir, 'notes.txt'), 'not a pipeline');
      const r = await loadPipelines(dir);
      expect(r.problems).toEqual([]);
      expect(r.pipelines.map((p) => p.name)).toEqual(['linux', 'webserver']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('rule → pipeline', () => {
  const web = pipeline(WEBSERVER, 'p/20-web.yml');
  const linux = pipeline(LINUX, 'p/10-linux.yml');

  it('fits on shared attributes, never on none', () => {
    expect(logsourceFit({ category: 'webserver' }, { category: 'webserver', product: 'apache' })).toBe(1);
    expect(logsourceFit({ product: 'linux', service: 'sshd' }, { product: 'linux' })).toBe(1);
    expect(logsourceFit({ product: 'linux', service: 'sshd' }, { product: 'linux', service: 'sshd' })).toBe(2);
    expect(logsourceFit({ product: 'linux', service: 'auth' }, { product: 'linux', service: 'sshd' })).toBe(-1);
    expect(logsourceFit({ category: 'firewall' }, { product: 'linux' })).toBe(-1);
  });

  it('prefers specificity, then priority, then file order', () => {
    expect(selectPipeline([web, linux], { product: 'linux', service: 'sshd' })?.name).toBe('linux');
    expect(selectPipeline([web, linux], { category: 'proxy' })).toBeUndefined();
    const webLow = pipeline(WEBSERVER.replace('name: webserver', 'name: web2').replace('priority: 10', 'priority: 1'), 'p/00-web2.yml');
    expect(selectPipeline([web, webLow], { category: 'webserver' })?.name).toBe('webserver');
    const webSame = pipeline(WEBSERVER.replace('name: webserver', 'name: web3'), 'p/00-web3.yml');
    expect(selectPipeline([web, webSame], { category: 'webserver' })?.name).toBe('web3');
    const specific = pipeline(LINUX.replace('name: linux', 'name: sshd').replace('  - logsource: {product: linux}\n    events: {host.os.type: linux}\n', ''), 'p/99-sshd.yml');
    // Both fit {product: linux, service: sshd} with two attributes; file order decides.
    expect(selectPipeline([specific, linux], { product: 'linux', service: 'sshd' })?.name).toBe('linux');
  });

  it('maps fields, passes through ECS targets, refuses unmapped names when strict', () => {
    const m = fieldMapperFor([web, linux], { category: 'webserver' });
    expect(m.pipeline).toBe('webserver');
    expect(m.map('cs-uri-query')).toEqual(['url.original']);
    expect(m.map('cs-host')).toEqual(['url.domain', 'destination.domain']);
    expect(m.map('url.domain')).toEqual(['url.domain']);
    expect(m.map('cs-bogus')).toMatch(/not mapped by pipeline 'webserver'/);
    expect(m.values('action')?.get('denied')).toEqual(['deny', 'drop']);
    expect(m.values('other')).toBeUndefined();
    expect(m.keywordFields).toEqual(['url.original', 'message']);
    const lax = fieldMapperFor([web, linux], { product: 'linux' });
    expect(lax.map('anything')).toEqual(['anything']);
    expect(fieldMapperFor([web], { product: 'windows' })).toBe(PASS_THROUGH_MAPPER);
  });
});

describe('event → logsources', () => {
  const web = pipeline(WEBSERVER, 'p/20-web.yml');
  const linux = pipeline(LINUX, 'p/10-linux.yml');
  const resolver = createLogsourceResolver([linux, web]);

  it('needs every key of a selector, any of its values, case-insensitively', () => {
    expect(resolver.logsourcesOf({ event: { dataset: 'NGINX.access' } })).toEqual([{ category: 'webserver' }]);
    expect(resolver.logsourcesOf({ 'event.dataset': 'system.auth', process: { name: 'sshd' } })).toEqual([{ product: 'linux', service: 'sshd' }]);
    expect(resolver.logsourcesOf({ event: { dataset: 'system.auth' }, process: { name: 'sudo' } })).toEqual([]);
    expect(resolver.logsourcesOf({ event: { dataset: 'system.auth' }, process: { name: 'sshd' }, host: { os: { type: 'Linux' } } })).toEqual([
      { product: 'linux', service: 'sshd' },
      { product: 'linux' },
    ]);
    expect(resolver.logsourcesOf({ host: { os: { type: 'linux' } } })).toEqual([{ product: 'linux' }]);
    expect(resolver.logsourcesOf({ event: { dataset: ['x', 'apache.access'] } })).toEqual([{ category: 'webserver' }]);
    expect(resolver.logsourcesOf({})).toEqual([]);
    expect(resolver.logsourcesOf(null)).toEqual([]);
  });

  it('answers the common case from a precomputed array', () => {
    const a = resolver.logsourcesOf({ event: { dataset: 'nginx.access' } });
    const b = resolver.logsourcesOf({ event: { dataset: 'Nginx.Access' }, url: { original: '/' } });
    expect(a).toBe(b);
    expect(Object.isFrozen(a)).toBe(true);
  });
});

describe('loadPipelines limits', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wp-pipelines-big-'));
    await writeFile(join(dir, 'huge.yml'), `name: huge\n# ${'x'.repeat(1024 * 1024)}\n`);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('refuses an oversized pipeline file', async () => {
    const r = await loadPipelines(dir);
    expect(r.pipelines).toEqual([]);
    expect(r.problems.map((p) => p.code)).toEqual(['file-too-large']);
  });
});
