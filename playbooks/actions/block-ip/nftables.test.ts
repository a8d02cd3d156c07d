import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SYSTEM_CLOCK } from '../../../core/clock.js';
import { WatchpostError } from '../../../core/errors.js';
import { silentLogger } from '../../../core/log.js';
import type { Driver, DriverContext, DriverType } from '../types.js';
import { nftablesDriver, nftablesSetupScript, parseSetElements, readNftablesSettings } from './nftables.js';

// No root, no nft: `nftPath` points at a recorder script that logs every call (its arguments,
// scripts included) and answers like nft with an empty set. Hostile input must be refused before
// anything is run, which the empty log shows; the positive cases show the recorder does record.

const logger = silentLogger();
const dir = mkdtempSync(join(tmpdir(), 'wpt-nft-unit-'));
const log = join(dir, 'calls.log');
const recorder = join(dir, 'nft');
writeFileSync(
  recorder,
  `#!/bin/sh
printf 'ARGS %s\\n' "$*" >> '${log}'
if [ "$1" = "-j" ]; then echo '{"nftables": [{"metainfo": {"version": "1.0.6"}}, {"set": {"family": "inet", "name": "blocklist4", "table": "watchpost", "elem": []}}]}'; fi
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
  return (nftablesDriver as DriverType).create({ id: 'nft-unit', settings, credentials: {} }, { logger, clock: SYSTEM_CLOCK });
}

function context(): DriverContext {
  return { signal: AbortSignal.timeout(10_000), logger, clock: SYSTEM_CLOCK, idempotencyKey: 'r.s.nft-unit' };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WatchpostError);
  return (error as WatchpostError).code;
}

describe('nftables driver input handling', () => {
  it('runs nft with a script made of the parsed address (the recorder works)', async () => {
    const driver = build({ nftPath: recorder, create: false });
    const result = await driver.execute('block-ip', { address: ' 192.0.2.77/24 ', ttlSeconds: 60, reason: 'x' }, context());
    expect(result).toMatchObject({ changed: true, detail: { element: '192.0.2.0/24' } });
    expect(calls()).toBe('ARGS -j list set inet watchpost blocklist4\nARGS -- add element inet watchpost blocklist4 { 192.0.2.0/24 timeout 60s }\n');
  });

  it.each([
    ['a command after the address', { address: '1.2.3.4; flush ruleset', ttlSeconds: 60, reason: 'x' }, 'WATCHPOST_ERR_ACTION_INPUT'],
    ['nft syntax after the address', { address: '1.2.3.4 } ; flush ruleset ; add element inet t s { 5.6.7.8', ttlSeconds: 60, reason: 'x' }, 'WATCHPOST_ERR_ACTION_INPUT'],
    ['a newline and a statement', { address: '1.2.3.4\nflush ruleset', ttlSeconds: 60, reason: 'x' }, 'WATCHPOST_ERR_ACTION_INPUT'],
    ['a host name', { address: 'evil.example', ttlSeconds: 60, reason: 'x' }, 'WATCHPOST_ERR_ACTION_INPUT'],
    ['a scoped IPv6 address', { address: 'fe80::1%eth0', ttlSeconds: 60, reason: 'x' }, 'WATCHPOST_ERR_ACTION_INPUT'],
    ['a TTL with text', { address: '1.2.3.4', ttlSeconds: '60s; flush ruleset', reason: 'x' }, 'WATCHPOST_ERR_ACTION_INPUT'],
    ['an extra field', { address: '1.2.3.4', ttlSeconds: 60, reason: 'x', table: 'filter' }, 'WATCHPOST_ERR_ACTION_INPUT'],
    ['no input', undefined, 'WATCHPOST_ERR_ACTION_INPUT'],
  ])('refuses %s before running anything', async (_name, input, code) => {
    const driver = build({ nftPath: recorder });
    expect(await codeOf(driver.execute('block-ip', input, context()))).toBe(code);
    expect(await codeOf(driver.verify?.('block-ip', input, context()) ?? Promise.resolve())).toBe(code);
    expect(calls()).toBe('');
  });

  it('refuses actions it does not serve', async () => {
    expect(await codeOf(build({ nftPath: recorder }).execute('disable-account', { account: 'bob', reason: 'x' }, context()))).toBe('WATCHPOST_ERR_DRIVER_REJECTED');
    expect(calls()).toBe('');
  });

  it.each([
    ['a table name with a space', { table: 'watch post' }],
    ['a set name with a statement', { set4: 'x; flush ruleset' }],
    ['a set name with braces', { set6: 'x}' }],
    ['a chain name starting with a dash', { chain: '-watchpost' }],
    ['a namespace that walks directories', { netns: '../../proc/1/ns/net' }],
    ['a program path with an argument', { nftPath: 'nft -f /etc/passwd' }],
    ['an unknown family', { family: 'bridge' }],
    ['an unknown hook', { hooks: ['output'] }],
    ['a repeated hook', { hooks: ['input', 'input'] }],
    ['a priority that is text', { priority: '-10; flush ruleset' }],
    ['an unknown key', { tables: 'x' }],
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

  it('writes the setup script from validated settings only', () => {
    expect(nftablesSetupScript(readNftablesSettings('d', {}))).toBe(
      [
        'add table inet watchpost',
        'add set inet watchpost blocklist4 { type ipv4_addr; flags interval,timeout; }',
        'add set inet watchpost blocklist6 { type ipv6_addr; flags interval,timeout; }',
        'add chain inet watchpost watchpost-block-input { type filter hook input priority -10; policy accept; }',
        'flush chain inet watchpost watchpost-block-input',
        'add rule inet watchpost watchpost-block-input ip saddr @blocklist4 drop',
        'add rule inet watchpost watchpost-block-input ip6 saddr @blocklist6 drop',
        'add chain inet watchpost watchpost-block-forward { type filter hook forward priority -10; policy accept; }',
        'flush chain inet watchpost watchpost-block-forward',
        'add rule inet watchpost watchpost-block-forward ip saddr @blocklist4 drop',
        'add rule inet watchpost watchpost-block-forward ip6 saddr @blocklist6 drop',
        '',
      ].join('\n'),
    );
    expect(nftablesSetupScript(readNftablesSettings('d', { family: 'ip', hooks: ['input'], priority: 5 }))).toBe(
      [
        'add table ip watchpost',
        'add set ip watchpost blocklist4 { type ipv4_addr; flags interval,timeout; }',
        'add chain ip watchpost watchpost-block-input { type filter hook input priority 5; policy accept; }',
        'flush chain ip watchpost watchpost-block-input',
        'add rule ip watchpost watchpost-block-input ip saddr @blocklist4 drop',
        '',
      ].join('\n'),
    );
  });
});

describe('parseSetElements', () => {
  it('reads addresses, prefixes and timeouts in the forms nft -j prints', () => {
    const json = JSON.stringify({
      nftables: [
        { metainfo: { version: '1.0.6' } },
        {
          set: {
            family: 'inet',
            name: 'blocklist6',
            table: 'watchpost',
            elem: [
              '2001:DB8::1',
              { prefix: { addr: '2001:db8:1::', len: 48 } },
              { elem: { val: '192.0.2.1', timeout: 120, expires: 119 } },
              { elem: { val: { prefix: { addr: '198.51.100.0', len: 24 } }, timeout: 60, expires: 3 } },
              { range: ['192.0.2.10', '192.0.2.20'] },
              { elem: { val: 'not-an-address' } },
            ],
          },
        },
      ],
    });
    expect(parseSetElements(json).map((e) => [e.address?.text ?? e.range, e.timeoutSeconds, e.expiresInSeconds])).toEqual([
      ['2001:db8::1', undefined, undefined],
      ['2001:db8:1::/48', undefined, undefined],
      ['192.0.2.1', 120, 119],
      ['198.51.100.0/24', 60, 3],
      ['192.0.2.10-192.0.2.20', undefined, undefined],
    ]);
    expect(parseSetElements('{"nftables": [{"set": {"name": "empty"}}]}')).toEqual([]);
  });

  it('refuses output that is not JSON', () => {
    expect(() => parseSetElements('Error: something')).toThrow(/not JSON/);
  });
});
