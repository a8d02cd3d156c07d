import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCode, type UserError } from '../errors.js';
import { envName } from './env.js';
import { loadConfig } from './load.js';

function problemsOf(run: () => unknown): UserError {
  try {
    run();
  } catch (error) {
    return error as UserError;
  }
  throw new Error('expected loadConfig to throw');
}

const BAD = `dataDir: /tmp/x
api:
  listen: 127.0.0.1:8080
  listnen: oops
backends:
  events: elasticsearch
  queue: postgres
log:
  level: loud
`;

describe('loadConfig', () => {
  it('fills every default when nothing is given', () => {
    const config = loadConfig({ env: {} });
    expect(config.dataDir).toBe('./data');
    expect(config.api.listen).toBe('127.0.0.1:8080');
    expect(config.backends).toEqual({ events: 'sqlite', cases: 'sqlite', queue: 'sqlite', correlation: 'memory' });
    expect(config.retention.eventsDays).toBe(30);
    expect(config.elasticsearch).toBeUndefined();
  });

  it('reports every problem at once with file:line:col', () => {
    const error = problemsOf(() => loadConfig({ file: 'watchpost.yaml', text: BAD, env: {} }));
    expect(hasCode(error, 'WATCHPOST_ERR_CONFIG_INVALID')).toBe(true);
    const byPath = new Map(error.problems.map((problem) => [problem.path, problem]));
    expect(byPath.get('api.listnen')?.message).toBe('unknown key "api.listnen"');
    expect(byPath.get('api.listnen')?.location).toEqual({ file: 'watchpost.yaml', line: 4, col: 3 });
    expect(byPath.get('backends.queue')?.message).toMatch(/must be one of "sqlite", "redis", got "postgres"/);
    expect(byPath.get('backends.queue')?.location).toEqual({ file: 'watchpost.yaml', line: 7, col: 10 });
    expect(byPath.get('log.level')?.location).toEqual({ file: 'watchpost.yaml', line: 9, col: 10 });
    expect(byPath.get('backends.events')?.message).toMatch(/"elasticsearch" section is missing/);
    expect(byPath.get('backends.events')?.location?.line).toBe(6);
    expect(error.problems).toHaveLength(4);
  });

  it('reads a file and names it in locations', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wp-config-'));
    const file = join(dir, 'watchpost.yaml');
    writeFileSync(file, 'api:\n  listen: 127.0.0.1:9999\nretention:\n  eventDays: 3\n');
    const error = problemsOf(() => loadConfig({ file, env: {} }));
    expect(error.problems).toEqual([
      { message: 'unknown key "retention.eventDays"', path: 'retention.eventDays', location: { file, line: 4, col: 3 } },
    ]);
    writeFileSync(file, 'api:\n  listen: 127.0.0.1:9999\n');
    expect(loadConfig({ file, env: {} }).api.listen).toBe('127.0.0.1:9999');
  });

  it('rejects invalid YAML with its position', () => {
    const error = problemsOf(() => loadConfig({ file: 'x.yaml', text: 'api:\n  listen: [unclosed\n', env: {} }));
    expect(hasCode(error, 'WATCHPOST_ERR_CONFIG_PARSE')).toBe(true);
    expect(error.problems[0]?.location?.file).toBe('x.yaml');
  });

  it('rejects duplicate keys, which YAML would otherwise resolve silently', () => {
    const error = problemsOf(() => loadConfig({ text: 'dataDir: a\ndataDir: b\n', env: {} }));
    expect(hasCode(error, 'WATCHPOST_ERR_CONFIG_PARSE')).toBe(true);
  });

  it('fails to read a missing file with a clear code', () => {
    const error = problemsOf(() => loadConfig({ file: '/nonexistent/watchpost.yaml', env: {} }));
    expect(hasCode(error, 'WATCHPOST_ERR_CONFIG_READ')).toBe(true);
  });

  it('applies WATCHPOST_* overrides above the file, coerced to the schema type', () => {
    const config = loadConfig({
      text: 'api:\n  listen: 127.0.0.1:8080\n',
      env: {
        WATCHPOST_API__LISTEN: '127.0.0.1:9090',
        WATCHPOST_API__BODY_LIMIT_BYTES: '4096',
        WATCHPOST_BACKENDS__EVENTS: 'elasticsearch',
        WATCHPOST_ELASTICSEARCH__NODES: 'http://a:9200, http://b:9200',
        WATCHPOST_TEST_ES_URL: 'ignored: reserved for the test harness',
      },
    });
    expect(config.api).toEqual({ listen: '127.0.0.1:9090', bodyLimitBytes: 4096 });
    expect(config.elasticsearch?.nodes).toEqual(['http://a:9200', 'http://b:9200']);
    expect(config.elasticsearch?.indexPrefix).toBe('watchpost');
  });

  it('names the environment variable of a bad or unknown override', () => {
    const error = problemsOf(() => loadConfig({ env: { WATCHPOST_API__BODY_LIMIT_BYTES: 'lots', WATCHPOST_APY__LISTEN: 'x' } }));
    const messages = error.problems.map((problem) => problem.message);
    expect(messages).toContain('unknown environment variable WATCHPOST_APY__LISTEN');
    expect(messages.some((message) => message.includes('"api.bodyLimitBytes"') && message.includes('WATCHPOST_API__BODY_LIMIT_BYTES'))).toBe(
      true,
    );
  });

  it('maps key paths to environment names', () => {
    expect(envName(['dataDir'])).toBe('WATCHPOST_DATA_DIR');
    expect(envName(['api', 'bodyLimitBytes'])).toBe('WATCHPOST_API__BODY_LIMIT_BYTES');
  });

  it('applies command-line overrides last', () => {
    const config = loadConfig({ text: 'dataDir: /from/file\n', env: { WATCHPOST_DATA_DIR: '/from/env' }, overrides: [{ path: ['dataDir'], value: '/from/flag' }] });
    expect(config.dataDir).toBe('/from/flag');
  });

  it('freezes the result deeply', () => {
    const config = loadConfig({ env: {} });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.api)).toBe(true);
    expect(() => {
      (config.api as { listen: string }).listen = '0.0.0.0:1';
    }).toThrow(TypeError);
  });
});
