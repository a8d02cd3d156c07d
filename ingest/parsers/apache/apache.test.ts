import { describe, expect, it } from 'vitest';
import type { EcsEvent } from '../../../core/ecs/event.js';
import { createNormalizer } from '../../pipeline/normalize.js';
import { PARSERS } from '../index.js';
import { createRouter } from '../router.js';

const normalize = createNormalizer(createRouter(PARSERS));
function event(line: string, format?: string, timezone = 'UTC'): EcsEvent {
  return normalize({ sourceId: 't', transport: 'file', data: Buffer.from(line), receivedAt: Date.parse('2026-11-24T12:00:00Z'), timezone, ...(format ? { format } : {}) });
}

describe('apache parser', () => {
  it('reads 2.2 and 2.4 error lines in the configured zone', () => {
    const old = event('[Tue Nov 24 09:00:00 2026] [error] [client 192.0.2.3] File does not exist: /srv/x', 'apache', 'Europe/Berlin');
    expect(old['@timestamp']).toBe('2026-11-24T08:00:00.000Z');
    expect(old).toMatchObject({ log: { level: 'error' }, source: { ip: '192.0.2.3' }, file: { path: '/srv/x' }, event: { dataset: 'apache.error', type: ['error'] } });
    const modern = event('[Tue Nov 24 09:00:00.999999 2026] [core:notice] [pid 7:tid 8] AH00094: Command line: httpd', 'apache', 'UTC');
    expect(modern).toMatchObject({ '@timestamp': '2026-11-24T09:00:00.999Z', process: { pid: 7, thread: { id: 8 } }, event: { type: ['info'] }, message: 'AH00094: Command line: httpd' });
  });

  it('is picked by its syslog program, ahead of nginx which reads the same access format', () => {
    const routed = normalize({
      sourceId: 't',
      transport: 'udp',
      data: Buffer.from('<190>Nov 24 09:00:00 w apache2: 192.0.2.3 - - [24/Nov/2026:09:00:00 +0000] "GET / HTTP/1.1" 200 1'),
      receivedAt: Date.parse('2026-11-24T12:00:00Z'),
      timezone: 'UTC',
    });
    expect(routed.watchpost?.parse?.parser).toBe('apache');
    expect(routed.event?.dataset).toBe('apache.access');
  });

  it('takes vhost_combined host and port as the destination', () => {
    const vhost = event('a.example:8443 192.0.2.4 - - [24/Nov/2026:09:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-"', 'apache');
    expect(vhost.destination).toEqual({ domain: 'a.example', port: 8443 });
    expect(vhost.url?.domain).toBe('a.example');
  });

  it('tags an error line it cannot read instead of dropping it', () => {
    const failed = event('[not a date] [error] boom', 'apache');
    expect(failed.tags).toContain('_watchpost_parse_failure');
  });
});
