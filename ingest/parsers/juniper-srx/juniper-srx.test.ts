import { describe, expect, it } from 'vitest';
import { testContext } from '../firewall-b-support/test-context.js';
import { juniperSrxParser } from './parser.js';
import { parseFlowText } from './text.js';

describe('juniper-srx', () => {
  it('finds protocol, policy and zones whatever the width of the NAT rule columns', () => {
    const older = parseFlowText('RT_FLOW_SESSION_CREATE', 'session created 10.0.0.1/1000->192.0.2.1/80 junos-http 198.51.100.1/2000->192.0.2.1/80 snat-rule N/A 6 p1 trust untrust 42');
    expect(older?.get('policy-name')).toBe('p1');
    expect(older?.get('session-id-32')).toBe('42');
  });

  it('reads IPv6 tuples', () => {
    const fields = parseFlowText('RT_FLOW_SESSION_DENY', 'session denied 2001:db8::1/5000->2001:db8::2/22 0x0 junos-ssh 6(0) deny-v6 untrust trust UNKNOWN UNKNOWN N/A(N/A) ge-0/0/0.0 UNKNOWN policy deny');
    expect(fields?.get('source-address')).toBe('2001:db8::1');
    expect(fields?.get('destination-port')).toBe('22');
    expect(fields?.get('policy-name')).toBe('deny-v6');
  });

  it('refuses other Junos messages', () => {
    expect(juniperSrxParser.parse(testContext('RT_FLOW_SESSION_CREATE: garbage'))).toEqual({ failure: 'no_match' });
    expect(juniperSrxParser.parse(testContext('UI_COMMIT: User root requested commit'))).toEqual({ failure: 'no_match' });
  });
});
