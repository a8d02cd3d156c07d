import { describe, expect, it } from 'vitest';
import { testContext } from '../firewall-b-support/test-context.js';
import { sonicwallParser, splitEndpoint } from './parser.js';

describe('sonicwall', () => {
  it('splits ip:port:interface[:host] endpoints, IPv6 included', () => {
    expect(splitEndpoint('192.168.1.10:52311:X0')).toEqual({ ip: '192.168.1.10', port: 52311, iface: 'X0' });
    expect(splitEndpoint('192.168.1.10:52311:X0:pc-1')).toEqual({ ip: '192.168.1.10', port: 52311, iface: 'X0', host: 'pc-1' });
    expect(splitEndpoint('2001:db8::5')).toEqual({ ip: '2001:db8::5' });
    expect(splitEndpoint('2001:db8::5:443:X1')).toMatchObject({ ip: '2001:db8::5:443' });
    expect(splitEndpoint('nonsense')).toEqual({});
  });

  it('reads a time without UTC suffix in the configured zone', () => {
    const line = 'id=firewall sn=0017C5 time="2025-01-15 09:00:00" fw=192.0.2.1 pri=6 c=1024 m=98 msg="Connection Opened" src=10.0.0.1:1000:X0 dst=192.0.2.9:443:X1 proto=tcp/https';
    const result = sonicwallParser.parse(testContext(line, { timezone: 'America/New_York' }));
    expect('event' in result && result.event['@timestamp']).toBe('2025-01-15T14:00:00.000Z');
    expect('event' in result && result.event.event?.type).toEqual(['connection', 'allowed', 'start']);
  });

  it('refuses key=value lines of other devices', () => {
    expect(sonicwallParser.parse(testContext('id=firewall foo=bar'))).toEqual({ failure: 'no_match' });
  });
});
