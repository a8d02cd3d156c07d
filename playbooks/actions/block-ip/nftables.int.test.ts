import { describe, expect, it } from 'vitest';
import { driverLab } from '../../../test/helpers/driver-lab.js';
import { execIn, probeTcp, waitForReachability } from '../../../test/helpers/netns.js';

import { nftablesDriver, parseSetElements } from './nftables.js';

// The nftables driver against the kernel: an "attacker" namespace reaches a TCP service in a
// "victim" namespace, the driver (running nft inside the victim namespace) blocks it, and the
// probe's SYN is dropped. Needs root.

// The sets start empty in each test (the table may not exist yet before the first block).
const { lab, service, driver, build, context, rejection } = driverLab(nftablesDriver, 'nft', async (ns) => {
  for (const set of ['blocklist4', 'blocklist6']) await execIn(ns, 'nft', ['flush', 'set', 'inet', 'watchpost', set]).catch(() => undefined);
});

async function elements(set: 'blocklist4' | 'blocklist6') {
  return parseSetElements(await execIn(lab().victim.ns, 'nft', ['-j', 'list', 'set', 'inet', 'watchpost', set]));
}

describe('nftables driver in a network namespace', () => {
  it('blocks the attacker, verifies, and lifts the block on unblock-ip', async () => {
    const { attacker, victim } = lab();
    expect(await probeTcp(attacker.ns, victim.ipv4, service().port)).toBe('open');

    const blocked = await driver().execute('block-ip', { address: attacker.ipv4, ttlSeconds: 300, reason: 'test' }, context());
    expect(blocked).toMatchObject({ changed: true, detail: { set: 'blocklist4', element: attacker.ipv4, timeoutSeconds: 300 } });
    expect(await probeTcp(attacker.ns, victim.ipv4, service().port)).toBe('timeout');
    expect(await driver().verify?.('block-ip', { address: attacker.ipv4, ttlSeconds: 300, reason: 'test' }, context())).toMatchObject({ holds: true, detail: { element: attacker.ipv4 } });

    // The driver made its table, sets and one drop chain per hook.
    const ruleset = await execIn(victim.ns, 'nft', ['list', 'table', 'inet', 'watchpost']);
    expect(ruleset).toContain('chain watchpost-block-input');
    expect(ruleset).toContain('chain watchpost-block-forward');
    expect(ruleset).toContain('ip saddr @blocklist4 drop');
    expect(ruleset).toContain('ip6 saddr @blocklist6 drop');

    const unblocked = await driver().execute('unblock-ip', { address: attacker.ipv4, reason: 'test' }, context());
    expect(unblocked.changed).toBe(true);
    expect(await driver().verify?.('unblock-ip', { address: attacker.ipv4 }, context())).toMatchObject({ holds: true });
    expect(await driver().verify?.('block-ip', { address: attacker.ipv4, ttlSeconds: 300, reason: 'test' }, context())).toMatchObject({ holds: false });
    expect((await waitForReachability(attacker.ns, victim.ipv4, service().port, 'open', 3000)).result).toBe('open');

    // Unblocking what is not blocked changes nothing.
    expect((await driver().execute('unblock-ip', { address: attacker.ipv4 }, context())).changed).toBe(false);
  });

  it('lets the kernel lift a block when its TTL ends', async () => {
    const { attacker, victim } = lab();
    const started = Date.now();
    await driver().execute('block-ip', { address: attacker.ipv4, ttlSeconds: 2, reason: 'short' }, context());
    expect(await probeTcp(attacker.ns, victim.ipv4, service().port, 500)).toBe('timeout');
    const again = await waitForReachability(attacker.ns, victim.ipv4, service().port, 'open', 6000, 300);
    expect(again.result).toBe('open');
    // Not lifted early: the element held for (about) its TTL.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect((await driver().verify?.('block-ip', { address: attacker.ipv4, ttlSeconds: 2, reason: 'short' }, context()))?.holds).toBe(false);
  });

  it('is idempotent: a second block changes nothing, keeps one element and refreshes its timeout', async () => {
    const { attacker } = lab();
    const first = await driver().execute('block-ip', { address: attacker.ipv4, ttlSeconds: 100, reason: 'one' }, context());
    const second = await driver().execute('block-ip', { address: attacker.ipv4, ttlSeconds: 600, reason: 'two' }, context());
    expect(first.changed).toBe(true);
    expect(second).toMatchObject({ changed: false, detail: { refreshed: true } });
    const listed = await elements('blocklist4');
    expect(listed).toHaveLength(1);
    expect(listed[0]?.address?.text).toBe(attacker.ipv4);
    expect(listed[0]?.timeoutSeconds).toBe(600);

    // A restarted worker (a new instance) sets up again without doubling the drop rules.
    const restarted = build('nft-test', { netns: lab().victim.ns });
    expect((await restarted.execute('block-ip', { address: attacker.ipv4, ttlSeconds: 600, reason: 'three' }, context())).changed).toBe(false);
    const chain = await execIn(lab().victim.ns, 'nft', ['list', 'chain', 'inet', 'watchpost', 'watchpost-block-input']);
    expect(chain.split('\n').filter((line) => line.includes('saddr @blocklist'))).toHaveLength(2);
  });

  it('blocks a /24 that contains the attacker, replacing a narrower element', async () => {
    const { attacker, victim } = lab();
    await driver().execute('block-ip', { address: attacker.ipv4, ttlSeconds: 300, reason: 'single' }, context());
    const prefix = await driver().execute('block-ip', { address: '192.0.2.77/24', ttlSeconds: 300, reason: 'prefix' }, context());
    expect(prefix).toMatchObject({ changed: true, detail: { element: '192.0.2.0/24', replaced: [attacker.ipv4] } });
    expect((await elements('blocklist4')).map((e) => e.address?.text)).toEqual(['192.0.2.0/24']);
    expect(await probeTcp(attacker.ns, victim.ipv4, service().port)).toBe('timeout');

    // The single address is still blocked, through the prefix.
    expect(await driver().verify?.('block-ip', { address: attacker.ipv4, ttlSeconds: 300, reason: 'single' }, context())).toMatchObject({ holds: true, detail: { coveredBy: '192.0.2.0/24' } });
    expect(await driver().execute('block-ip', { address: attacker.ipv4, ttlSeconds: 300, reason: 'single' }, context())).toMatchObject({ changed: false, detail: { coveredBy: '192.0.2.0/24' } });
    // Unblocking the single address leaves the prefix (another block) in place.
    expect(await driver().execute('unblock-ip', { address: attacker.ipv4 }, context())).toMatchObject({ changed: false, detail: { coveredBy: '192.0.2.0/24' } });
    expect(await probeTcp(attacker.ns, victim.ipv4, service().port)).toBe('timeout');

    expect((await driver().execute('unblock-ip', { address: '192.0.2.0/24' }, context())).changed).toBe(true);
    expect((await waitForReachability(attacker.ns, victim.ipv4, service().port, 'open', 3000)).result).toBe('open');
  });

  it('blocks IPv6 without touching IPv4', async () => {
    const { attacker, victim } = lab();
    expect(await probeTcp(attacker.ns, victim.ipv6, service().port)).toBe('open');
    const blocked = await driver().execute('block-ip', { address: attacker.ipv6.toUpperCase(), ttlSeconds: 300, reason: 'v6' }, context());
    expect(blocked).toMatchObject({ changed: true, detail: { set: 'blocklist6', element: attacker.ipv6 } });
    expect(await probeTcp(attacker.ns, victim.ipv6, service().port)).toBe('timeout');
    expect(await probeTcp(attacker.ns, victim.ipv4, service().port)).toBe('open');
    expect((await driver().verify?.('block-ip', { address: attacker.ipv6, ttlSeconds: 300, reason: 'v6' }, context()))?.holds).toBe(true);
    expect((await elements('blocklist6')).map((e) => e.address?.text)).toEqual([attacker.ipv6]);

    expect((await driver().execute('unblock-ip', { address: attacker.ipv6 }, context())).changed).toBe(true);
    expect((await waitForReachability(attacker.ns, victim.ipv6, service().port, 'open', 3000)).result).toBe('open');
  });

  it('puts its table back after the ruleset was flushed (a firewall reload)', async () => {
    const { attacker, victim } = lab();
    await driver().execute('block-ip', { address: attacker.ipv4, ttlSeconds: 300, reason: 'before' }, context());
    await execIn(victim.ns, 'nft', ['flush', 'ruleset']);
    expect(await driver().verify?.('block-ip', { address: attacker.ipv4, ttlSeconds: 300, reason: 'x' }, context())).toMatchObject({ holds: false, detail: { setMissing: true } });
    expect((await driver().execute('unblock-ip', { address: attacker.ipv4 }, context())).changed).toBe(false);

    const again = await driver().execute('block-ip', { address: attacker.ipv4, ttlSeconds: 300, reason: 'after' }, context());
    expect(again.changed).toBe(true);
    expect(await probeTcp(attacker.ns, victim.ipv4, service().port)).toBe('timeout');
  });

  it('reports configuration problems as DRIVER_CONFIG and leaves other tables alone', async () => {
    const { attacker, victim } = lab();
    const input = { address: attacker.ipv4, ttlSeconds: 60, reason: 'x' };
    const noNamespace = build('nft-nons', { netns: `${victim.ns}-missing` });
    expect((await rejection(noNamespace.execute('block-ip', input, context()))).code).toBe('WATCHPOST_ERR_DRIVER_CONFIG');

    const noProgram = build('nft-noprog', { netns: victim.ns, nftPath: '/nonexistent/nft' });
    expect((await rejection(noProgram.execute('block-ip', input, context()))).code).toBe('WATCHPOST_ERR_DRIVER_CONFIG');

    const noCreate = build('nft-nocreate', { netns: victim.ns, table: 'absent', create: false });
    expect((await rejection(noCreate.execute('block-ip', input, context()))).code).toBe('WATCHPOST_ERR_DRIVER_CONFIG');
    await expect(execIn(victim.ns, 'nft', ['list', 'table', 'inet', 'absent'])).rejects.toThrow();

    // An ip6 table cannot hold an IPv4 address: a refusal, not a retry.
    const v6only = build('nft-v6', { netns: victim.ns, family: 'ip6', table: 'wp6' });
    expect((await rejection(v6only.execute('block-ip', input, context()))).code).toBe('WATCHPOST_ERR_DRIVER_REJECTED');
  });
});
