import { describe, expect, it } from 'vitest';
import { testContext } from '../firewall-b-support/test-context.js';
import { sophosXgParser } from './parser.js';

describe('sophos-xg', () => {
  it('keeps a serial number with a space and reads the date in the configured zone', () => {
    const line = 'device="SFW" date=2025-01-15 time=09:00:00 timezone="IST" device_name="XG1" device_id=C4431- P29 log_id=010101600001 log_type="Firewall" log_subtype="Allowed" status="Allow" src_ip=10.0.0.1 dst_ip=10.0.0.2';
    const result = sophosXgParser.parse(testContext(line, { timezone: 'Asia/Kolkata' }));
    expect('event' in result && result.event.observer?.serial_number).toBe('C4431- P29');
    expect('event' in result && result.event['@timestamp']).toBe('2025-01-15T03:30:00.000Z');
  });

  it('refuses key=value lines without log_type', () => {
    expect(sophosXgParser.parse(testContext('device="SFW" foo=bar'))).toEqual({ failure: 'no_match' });
  });
});
