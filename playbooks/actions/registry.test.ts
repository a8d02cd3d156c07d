import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { afterEach, describe, expect, it } from 'vitest';
import { SYSTEM_CLOCK } from '../../core/clock.js';
import type { ResponseDriverConfig } from '../../core/config/schema.js';
import { UserError } from '../../core/errors.js';
import { silentLogger } from '../../core/log.js';
import { buildDrivers, resolveSecret } from './registry.js';
import type { DriverConfig, DriverType } from './types.js';

const SECRET = 'hunter2-very-secret-value';

/** A driver type that keeps the config it was built with, so the test sees defaults and secrets. */
const built: DriverConfig<Record<string, unknown>, Record<string, string>>[] = [];
const probeType: DriverType = {
  type: 'probe',
  description: 'test driver',
  actions: ['block-ip'],
  settings: Type.Object(
    { table: Type.String({ pattern: '^[a-z]+$' }), port: Type.Integer({ default: 443 }), hosts: Type.Array(Type.String(), { default: [] }) },
    { additionalProperties: false },
  ),
  credentials: Type.Object({ token: Type.String({ minLength: 8 }) }, { additionalProperties: false }),
  create(config) {
    const settings = config.settings as Record<string, unknown>;
    if (settings.table === 'refused') throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', 'table "refused" is reserved');
    built.push(config as DriverConfig<Record<string, unknown>, Record<string, string>>);
    return { id: config.id, type: 'probe', actions: ['block-ip'], execute: async () => ({ changed: true }) };
  },
};

const deps = { logger: silentLogger(), clock: SYSTEM_CLOCK };

function config(partial: Partial<ResponseDriverConfig> & { id: string }): ResponseDriverConfig {
  return { type: 'probe', enabled: true, settings: { table: 'edge' }, credentials: { token: SECRET }, ...partial };
}

let dir: string | undefined;
afterEach(() => {
  built.length = 0;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('buildDrivers', () => {
  it('builds enabled instances with defaults applied and secrets resolved from env and file', () => {
    dir = mkdtempSync(join(tmpdir(), 'wp-registry-'));
    const file = join(dir, 'token');
    writeFileSync(file, `${SECRET}-file\n`);
    const { drivers, problems } = buildDrivers(
      [
        config({ id: 'edge' }),
        config({ id: 'from-env', credentials: { token: { env: 'WP_TEST_TOKEN' } } }),
        config({ id: 'from-file', credentials: { token: { file } } }),
        config({ id: 'off', enabled: false, settings: { table: 42 } }),
      ],
      [probeType],
      deps,
      { WP_TEST_TOKEN: `${SECRET}-env` },
    );
    expect(problems).toEqual([]);
    expect([...drivers.keys()]).toEqual(['edge', 'from-env', 'from-file']);
    expect(built.map((c) => c.credentials.token)).toEqual([SECRET, `${SECRET}-env`, `${SECRET}-file`]);
    expect(built[0]?.settings).toEqual({ table: 'edge', port: 443, hosts: [] });
  });

  it('leaves out broken instances, naming every problem by path and never the secret', () => {
    const { drivers, problems } = buildDrivers(
      [
        config({ id: 'good' }),
        config({ id: 'bad-type', type: 'nope' }),
        config({ id: 'good' }),
        config({ id: 'bad-settings', settings: { table: 'UPPER', port: 'x', extra: 1, hosts: ['a', 5] } }),
        config({ id: 'short-secret', credentials: { token: 'short' } }),
        config({ id: 'missing-env', credentials: { token: { env: 'WP_TEST_ABSENT' } } }),
        config({ id: 'no-file', credentials: { token: { file: '/nonexistent/wp-secret' } } }),
        config({ id: 'refused', settings: { table: 'refused' } }),
        config({ id: 'secret-in-settings', settings: { table: SECRET.toUpperCase() } }),
      ],
      [probeType],
      deps,
      {},
    );
    expect([...drivers.keys()]).toEqual(['good']);
    const paths = problems.map((p) => p.path);
    expect(paths).toContain('response.drivers[1].type');
    expect(paths).toContain('response.drivers[2].id');
    expect(paths).toContain('response.drivers[3].settings.table');
    expect(paths).toContain('response.drivers[3].settings.port');
    expect(paths).toContain('response.drivers[3].settings.extra');
    expect(paths).toContain('response.drivers[3].settings.hosts[1]');
    expect(paths).toContain('response.drivers[4].credentials.token');
    expect(paths).toContain('response.drivers[5].credentials.token');
    expect(paths).toContain('response.drivers[6].credentials.token');
    expect(paths).toContain('response.drivers[7]');
    expect(problems.find((p) => p.path === 'response.drivers[5].credentials.token')?.message).toMatch(/WP_TEST_ABSENT/);
    expect(problems.find((p) => p.path === 'response.drivers[7]')?.message).toMatch(/reserved/);
    const text = JSON.stringify(problems);
    expect(text).not.toContain('short');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(SECRET.toUpperCase());
  });
});

describe('resolveSecret', () => {
  it('reads values, variables and files, and names what is missing without a value', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'wp-registry-'));
    dir = tmp;
    const empty = join(tmp, 'empty');
    writeFileSync(empty, '\n');
    expect(resolveSecret('literal')).toBe('literal');
    expect(resolveSecret({ env: 'X' }, { X: 'from-x' })).toBe('from-x');
    expect(() => resolveSecret({ env: 'X' }, {})).toThrow(/X is not set/);
    expect(() => resolveSecret({ file: empty })).toThrow(/is empty/);
    expect(() => resolveSecret({ file: join(tmp, 'absent') })).toThrow(/ENOENT/);
  });
});
