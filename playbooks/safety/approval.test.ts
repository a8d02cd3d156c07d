import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config/load.js';
import type { ActionId } from '../actions/types.js';
import { approvalReasons } from './approval.js';
import type { SafetyConfig } from './never-block.js';

const DEFAULTS: SafetyConfig = loadConfig({ text: '', env: {} }).response.safety;
const TCP = { transports: ['tcp'] };

describe('approvalReasons', () => {
  it.each<[ActionId, Record<string, unknown>, readonly string[] | undefined, string[]]>([
    // Public addresses and narrow prefixes need nobody.
    ['block-ip', { address: '203.0.113.9' }, ['tcp'], []],
    ['block-ip', { address: '198.51.100.0/24' }, ['tls'], []],
    ['block-ip', { address: '2001:db8:5::/64' }, ['file'], []],
    ['block-ip', { address: '8.8.8.8' }, undefined, []],
    // Wide prefixes: shorter than /24 (IPv4) or /64 (IPv6).
    ['block-ip', { address: '203.0.112.0/23' }, ['tcp'], ['wide-prefix']],
    ['block-ip', { address: '2001:db8::/48' }, ['tcp'], ['wide-prefix']],
    // Internal ranges, and prefixes reaching into them.
    ['block-ip', { address: '10.1.2.3' }, ['tcp'], ['internal-address']],
    ['block-ip', { address: '172.31.255.1' }, ['tcp'], ['internal-address']],
    ['block-ip', { address: '192.168.7.7' }, ['tcp'], ['internal-address']],
    ['block-ip', { address: '100.64.0.1' }, ['tcp'], ['internal-address']],
    ['block-ip', { address: '192.0.0.1' }, ['tcp'], ['internal-address']],
    ['block-ip', { address: '198.18.0.9' }, ['tcp'], ['internal-address']],
    ['block-ip', { address: 'fd12:3456::1' }, ['tcp'], ['internal-address']],
    ['block-ip', { address: 'fec0::1' }, ['tcp'], ['internal-address']],
    ['block-ip', { address: '::ffff:10.0.0.1' }, ['tcp'], ['internal-address']],
    ['block-ip', { address: '8.0.0.0/6' }, ['tcp'], ['wide-prefix', 'internal-address']],
    // Public neighbours of the internal ranges.
    ['block-ip', { address: '172.32.0.1' }, ['tcp'], []],
    ['block-ip', { address: '100.128.0.1' }, ['tcp'], []],
    ['block-ip', { address: '11.0.0.1' }, ['tcp'], []],
    ['block-ip', { address: '192.0.2.1' }, ['tcp'], []],
    // Evidence that came only over UDP syslog.
    ['block-ip', { address: '203.0.113.9' }, ['udp'], ['udp-evidence']],
    ['block-ip', { address: '203.0.113.9' }, ['UDP', 'udp'], ['udp-evidence']],
    ['block-ip', { address: '203.0.113.9' }, ['udp', 'tcp'], []],
    ['block-ip', { address: '203.0.113.9' }, [], []],
    ['block-ip', { address: '10.0.0.0/8' }, ['udp'], ['wide-prefix', 'internal-address', 'udp-evidence']],
    // Accounts.
    ['disable-account', { account: 'alice' }, ['tls'], ['account']],
    ['disable-account', { account: 'alice' }, ['udp'], ['account', 'udp-evidence']],
    // Undo and informational actions never wait.
    ['unblock-ip', { address: '10.0.0.0/8' }, ['udp'], []],
    ['enable-account', { account: 'alice' }, ['udp'], []],
    ['notify', { subject: 's', message: 'm' }, ['udp'], []],
    ['create-ticket', { title: 't' }, ['udp'], []],
    // Not an address: checkTarget refuses it, approval has nothing to add.
    ['block-ip', { address: 'nonsense' }, ['tcp'], []],
  ])('%s %j over %j → %j', (action, input, transports, expected) => {
    expect(approvalReasons(DEFAULTS, action, input, transports === undefined ? {} : { transports })).toEqual(expected);
  });

  it('follows the configured thresholds and switches', () => {
    const lenient: SafetyConfig = {
      ...DEFAULTS,
      approval: { widerThanIpv4Prefix: 16, widerThanIpv6Prefix: 32, internalAddresses: false, accounts: false, udpEvidence: false },
    };
    expect(approvalReasons(lenient, 'block-ip', { address: '203.0.112.0/20' }, TCP)).toEqual([]);
    expect(approvalReasons(lenient, 'block-ip', { address: '203.0.0.0/15' }, TCP)).toEqual(['wide-prefix']);
    expect(approvalReasons(lenient, 'block-ip', { address: '2001:db8::/31' }, TCP)).toEqual(['wide-prefix']);
    expect(approvalReasons(lenient, 'block-ip', { address: '10.0.0.1' }, { transports: ['udp'] })).toEqual([]);
    expect(approvalReasons(lenient, 'disable-account', { account: 'alice' }, { transports: ['udp'] })).toEqual([]);
  });
});
