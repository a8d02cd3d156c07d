import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_CLOCK } from '../../../core/clock.js';
import { WatchpostError } from '../../../core/errors.js';
import { silentLogger } from '../../../core/log.js';
import type { Driver, DriverContext, DriverType } from '../types.js';
import { ipsetDriver, parseIpsetSave } from './ipset.js';

// No root, no ipset: the program paths point at a recorder script that logs every call and
// answers like ipset (an empty hash:net set) and iptables (the rule exists). Hostile input must be
// refused before anything runs; the positive case shows the recorder does record.

const logger = silentLogger();
const dir = mkdtempSync(join(tmpdir(), 'wpt-ipset-unit-'));
const log = join(dir, 'calls.log');
const recorder = join(dir, 'recorder');
writeFileSync(
  recorder,
  `#!/bin/sh
printf '%s %s\\n' "$(basename "$0")" "$*" >> '${log}'
if [ "$1" = "list" ] && [ "$3" = "-terse" ]; then printf 'Name: %s\\nType: hash:net\\nHeader: family inet hashsize 1024 maxelem 65536 timeout 0\\n' "$2"; fi
if [ "$1" = "list" ] && [ "$3" = "-output" ]; then printf 'create %s hash:net family inet timeout 0\\n' "$2"; fi
exit 0
`,
);
chmodSync(recorder, 0o755);

afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => rmSync(log, { force: true }));

function calls(): string {
  return existsSync(log) ? readFileSync(log, 'utf8') : '';
}

function build(settings: Record<string, unknown>): Driver {
  const paths = { ipsetPath: recorder, iptablesPath: recorder, ip6tablesPath: recorder };
  return (ipsetDriver as DriverType).create({ id: 'ipset-unit', settings: { ...paths, ...settings }, credentials: {} }, { logger, clock: SYSTEM_CLOCK });
}

function context(): DriverContext {
  return { signal: AbortSignal.timeout(10_000), logger, clock: SYSTEM_CLOCK, idempotencyKey: 'r.s.ipset-unit' };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WatchpostError);
  return (error as WatchpostError).code;
}

describe('ipset driver input handling', () => {
  it('sets up once, then runs ipset with the parsed address as one argument (the recorder works)', async () => {
    const driver = build({ chains: ['INPUT'] });
    const result = await driver.execute('block-ip', { address: '192.0.2.77/24', ttlSeconds: 60, reason: 'x' }, context());
    expect(result).toMatchObject({ changed: true, detail: { set: 'watchpost4', element: '192.0.2.0/24', timeoutSeconds: 60 } });
    expect(calls()).toBe(
      [
        'recorder create watchpost4 hash:net family inet timeout 0 maxelem 65536 -exist',
        'recorder list watchpost4 -terse',
        'recorder -w 10 -C INPUT -m set --match-set watchpost4 src -j DROP',
        'recorder list watchpost4 -output save',
        'recorder add watchpost4 192.0.2.0/24 timeout 60 -exist',
        '',
      ].join('\n'),
    );
  });

  it.each([
    ['a command after the address', { address: '1.2.3.4; ipset flush', ttlSeconds: 60, reason: 'x' }],
    ['an option after the address', { address: '1.2.3.4 -exist', ttlSeconds: 60, reason: 'x' }],
    ['an option instead of an address', { address: '--help', ttlSeconds: 60, reason: 'x' }],
    ['a newline and a command', { address: '1.2.3.4\ndestroy', ttlSeconds: 60, reason: 'x' }],
    ['a TTL with text', { address: '1.2.3.4', ttlSeconds: '60 -exist', reason: 'x' }],
    ['a TTL of zero (permanent in ipset)', { address: '1.2.3.4', ttlSeconds: 0, reason: 'x' }],
  ])('refuses %s before running anything', async (_name, input) => {
    const driver = build({});
    expect(await codeOf(driver.execute('block-ip', input, context()))).toBe('WATCHPOST_ERR_ACTION_INPUT');
    expect(calls()).toBe('');
  });

  it('refuses hostile addresses for unblock-ip and verify too', async () => {
    const driver = build({});
    for (const address of ['1.2.3.4; ipset flush', '1.2.3.4 -exist', '--help', '10.0.0.0/33']) {
      expect(await codeOf(driver.execute('unblock-ip', { address }, context()))).toBe('WATCHPOST_ERR_ACTION_INPUT');
      expect(await codeOf(driver.verify?.('block-ip', { address, ttlSeconds: 60, reason: 'x' }, context()) ?? Promise.resolve())).toBe('WATCHPOST_ERR_ACTION_INPUT');
    }
    expect(calls()).toBe('');
  });

  it.each([
    ['a set name with a space', { set4: 'watch post' }],
    ['a set name longer than the kernel takes', { set6: 'x'.repeat(32) }],
    ['a chain name with an option', { chains: ['INPUT -j ACCEPT'] }],
    ['a chain name starting with a dash', { chains: ['-F'] }],
    ['the same set for both families', { set4: 'same', set6: 'same' }],
    ['a namespace that walks directories', { netns: '../x' }],
    ['a program path with an argument', { iptablesPath: 'iptables -F' }],
    ['an unknown key', { chain: 'INPUT' }],
  ])('refuses settings with %s', (_name, settings) => {
    let error: unknown;
    try {
      build(settings);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WatchpostError);
    expect((error as WatchpostError).code).toBe('WATCHPOST_ERR_DRIVER_CONFIG');
  });
});

describe('parseIpsetSave', () => {
  it('reads the entries of one set with their timeouts', () => {
    const text = [
      'create watchpost6 hash:net family inet6 hashsize 1024 maxelem 65536 timeout 0',
      'add watchpost6 2001:db8:1::/48 timeout 49',
      'add watchpost6 2001:DB8::1 timeout 7',
      'add other 2001:db8::2 timeout 7',
      'add watchpost6 garbage',
      '',
    ].join('\n');
    expect(parseIpsetSave(text, 'watchpost6').map((e) => [e.address.text, e.timeoutSeconds])).toEqual([
      ['2001:db8:1::/48', 49],
      ['2001:db8::1', 7],
    ]);
  });
});
