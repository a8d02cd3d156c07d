import { describe, expect, it } from 'vitest';
import { driverLab } from '../../../test/helpers/driver-lab.js';
import { execIn, probeTcp, waitForReachability } from '../../../test/helpers/netns.js';

import { ipsetDriver, parseIpsetSave } from './ipset.js';

// The ipset driver against the kernel: iptables/ip6tables (nf_tables backend here) drop what is
// in the sets, inside a "victim" namespace that an "attacker" namespace probes. Needs root.

// The sets start empty in each test (the table may not exist yet before the first block).
const { lab, service, driver, build, context, rejection } = driverLab(ipsetDriver, 'ipset', async (ns) => {
  for (const set of ['watchpost4', 'watchpost6']) await execIn(ns, 'ipset', ['flush', set]).catch(() => undefined);
});

async function entries(set: 'watchpost4' | 'watchpost6') {
  return parseIpsetSave(await execIn(lab().victim.ns, 'ipset', ['list', set, '-output', 'save']), set);
}

describe('ipset driver in a network namespace', () => {
  it('blocks the attacker, verifies, and lifts the block on unblock-ip', async () => {
    const { attacker, victim } = lab();
    expect(await probeTcp(attacker.ns, victim.ipv4, service().port)).toBe('open');

    const blocked = await driver().execute('block-ip', { address: attacker.ipv4, ttlSeconds: 300, reason: 'test' }, context());
    expect(blocked).toMatchObject({ changed: true, detail: { set: 'watchpost4', element: attacker.ipv4, timeoutSeconds: 300 } });
    expect(await probeTcp(attacker.ns, victim.ipv4, service().port)).toBe('timeout');
    expect(await driver().verify?.('block-ip', { address: attacker.ipv4, ttlSeconds: 300, reason: 'test' }, context())).toMatchObject({ holds: true, detail: { element: attacker.ipv4 } });

    // One drop rule at the top of each chain.
    for (const chain of ['INPUT', 'FORWARD']) {
      const rules = await execIn(victim.ns, 'iptables', ['-w', '5', '-S', chain]);
      expect(rules.split('\n').filter((line) => line.includes('--match-set watchpost4 src -j DROP'))).toHaveLength(1);
    }

    expect((await driver().execute('unblock-ip', { address: attacker.ipv4, reason: 'test' }, context())).changed).toBe(true);
    expect(await driver().verify?.('unblock-ip', { address: attacker.ipv4 }, context())).toMatchObject({ holds: true });
    expect((await driver().verify?.('block-ip', { address: attacker.ipv4, ttlSeconds: 300, reason: 'test' }, context()))?.holds).toBe(false);
    expect((await waitForReachability(attacker.ns, victim.ipv4, service().port, 'open', 3000)).result).toBe('open');
    expect((await driver().execute('unblock-ip', { address: attacker.ipv4 }, context())).changed).toBe(false);
  });

  it('lets the kernel lift a block when its TTL ends', async () => {
    const { attacker, victim } = lab();
    const started = Date.now();
    await driver().execute('block-ip', { address: attacker.ipv4, ttlSeconds: 2, reason: 'short' }, context());
    expect(await probeTcp(attacker.ns, victim.ipv4, service().port, 500)).toBe('timeout');
    const again = await waitForReachability(attacker.ns, victim.ipv4, service().port, 'open', 6000, 300);
    expect(again.result).toBe('open');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect((await driver().verify?.('block-ip', { address: attacker.ipv4, ttlSeconds: 2, reason: 'short' }, context()))?.holds).toBe(false);
  });

  it('is idempotent: a second block changes nothing, keeps one entry and refreshes its timeout; a second instance adds no rule', async () => {
    const { attacker, victim } = lab();
    const first = await driver().execute('block-ip', { address: attacker.ipv4, ttlSeconds: 100, reason: 'one' }, context());
    const second = await driver().execute('block-ip', { address: attacker.ipv4, ttlSeconds: 600, reason: 'two' }, context());
    expect(first.changed).toBe(true);
    expect(second).toMatchObject({ changed: false, detail: { refreshed: true } });
    const listed = await entries('watchpost4');
    expect(listed.map((e) => e.address.text)).toEqual([attacker.ipv4]);
    expect(listed[0]?.timeoutSeconds).toBeGreaterThan(590);

    // A restarted worker (a new instance) finds the set and the rules and adds neither again.
    const restarted = build('ipset-test', { netns: victim.ns });
    expect((await restarted.execute('block-ip', { address: attacker.ipv4, ttlSeconds: 600, reason: 'three' }, context())).changed).toBe(false);
    const rules = await execIn(victim.ns, 'iptables', ['-w', '5', '-S', 'INPUT']);
    expect(rules.split('\n').filter((line) => line.includes('--match-set watchpost4'))).toHaveLength(1);
  });

  it('blocks a /24 that contains the attacker; each block keeps its own entry', async () => {
    const { attacker, victim } = lab();
    await driver().execute('block-ip', { address: attacker.ipv4, ttlSeconds: 300, reason: 'single' }, context());
    const prefix = await driver().execute('block-ip', { address: '192.0.2.77/24', ttlSeconds: 300, reason: 'prefix' }, context());
    expect(prefix).toMatchObject({ changed: true, detail: { element: '192.0.2.0/24' } });
    expect((await entries('watchpost4')).map((e) => e.address.text).sort()).toEqual(['192.0.2.0/24', attacker.ipv4]);

    // Lifting the single address leaves the prefix's block in place.
    expect((await driver().execute('unblock-ip', { address: attacker.ipv4 }, context())).changed).toBe(true);
    expect(await probeTcp(attacker.ns, victim.ipv4, service().port)).toBe('timeout');
    expect(await driver().verify?.('block-ip', { address: attacker.ipv4, ttlSeconds: 300, reason: 'single' }, context())).toMatchObject({ holds: true, detail: { coveredBy: '192.0.2.0/24' } });

    expect((await driver().execute('unblock-ip', { address: '192.0.2.0/24' }, context())).changed).toBe(true);
    expect((await waitForReachability(attacker.ns, victim.ipv4, service().port, 'open', 3000)).result).toBe('open');
  });

  it('blocks IPv6 through ip6tables without touching IPv4', async () => {
    const { attacker, victim } = lab();
    expect(await probeTcp(attacker.ns, victim.ipv6, service().port)).toBe('open');
    const blocked = await driver().execute('block-ip', { address: attacker.ipv6, ttlSeconds: 300, reason: 'v6' }, context());
    expect(blocked).toMatchObject({ changed: true, detail: { set: 'watchpost6', element: attacker.ipv6 } });
    expect(await probeTcp(attacker.ns, victim.ipv6, service().port)).toBe('timeout');
    expect(await probeTcp(attacker.ns, victim.ipv4, service().port)).toBe('open');
    expect((await driver().verify?.('block-ip', { address: attacker.ipv6, ttlSeconds: 300, reason: 'v6' }, context()))?.holds).toBe(true);
    const rules = await execIn(victim.ns, 'ip6tables', ['-w', '5', '-S', 'INPUT']);
    expect(rules).toContain('--match-set watchpost6 src -j DROP');

    expect((await driver().execute('unblock-ip', { address: attacker.ipv6 }, context())).changed).toBe(true);
    expect((await waitForReachability(attacker.ns, victim.ipv6, service().port, 'open', 3000)).result).toBe('open');
  });

  it('caps TTLs longer than the kernel allows and says so', async () => {
    const { attacker } = lab();
    const blocked = await driver().execute('block-ip', { address: attacker.ipv4, ttlSeconds: 30 * 24 * 3600, reason: 'long' }, context());
    expect(blocked).toMatchObject({ changed: true, detail: { timeoutSeconds: 2_147_483, cappedFromSeconds: 30 * 24 * 3600 } });
    expect((await entries('watchpost4'))[0]?.timeoutSeconds).toBeGreaterThan(2_147_000);
  });

  it('reports configuration problems as DRIVER_CONFIG', async () => {
    const { attacker, victim } = lab();
    const input = { address: attacker.ipv4, ttlSeconds: 60, reason: 'x' };
    expect((await rejection(build('ipset-nons', { netns: `${victim.ns}-missing` }).execute('block-ip', input, context()))).code).toBe('WATCHPOST_ERR_DRIVER_CONFIG');
    expect((await rejection(build('ipset-noprog', { netns: victim.ns, ipsetPath: '/nonexistent/ipset' }).execute('block-ip', input, context()))).code).toBe(
      'WATCHPOST_ERR_DRIVER_CONFIG',
    );
    expect((await rejection(build('ipset-nocreate', { netns: victim.ns, set4: 'absent4', set6: 'absent6', create: false }).execute('block-ip', input, context()))).code).toBe(
      'WATCHPOST_ERR_DRIVER_CONFIG',
    );
    expect((await rejection(build('ipset-nochain', { netns: victim.ns, set4: 'other4', set6: 'other6', chains: ['NO-SUCH-CHAIN'] }).execute('block-ip', input, context()))).code).toBe(
      'WATCHPOST_ERR_DRIVER_CONFIG',
    );
    // A set of the right name but the wrong family is not used.
    await execIn(victim.ns, 'ipset', ['create', 'wrongfamily', 'hash:net', 'family', 'inet6', 'timeout', '0']);
    expect((await rejection(build('ipset-wrong', { netns: victim.ns, set4: 'wrongfamily', set6: 'spare6' }).execute('block-ip', input, context()))).code).toBe('WATCHPOST_ERR_DRIVER_CONFIG');
  });
});
