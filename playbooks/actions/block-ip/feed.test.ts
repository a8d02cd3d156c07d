import { createHash } from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { SYSTEM_CLOCK } from '../../../core/clock.js';
import { silentLogger } from '../../../core/log.js';
import { driverContext, thrown } from '../http-test-server.js';
import { FeedCredentials, feedAccess, feedDriver } from './feed.js';

const deps = { logger: silentLogger(), clock: SYSTEM_CLOCK };

describe('feedDriver', () => {
  const driver = feedDriver.create({ id: 'fortigate-feed', settings: {}, credentials: { token: 'x'.repeat(32) } }, deps);

  it('changes nothing remote, reports changed and always holds', async () => {
    expect(await driver.execute('block-ip', { address: '192.0.2.7/32', ttlSeconds: 60, reason: 'r' }, driverContext())).toEqual({ changed: true, detail: { feed: 'fortigate-feed', entry: '192.0.2.7' } });
    expect(await driver.verify?.('block-ip', { address: '192.0.2.7' }, driverContext())).toEqual({ holds: true, detail: { feed: 'fortigate-feed' } });
    expect((await driver.execute('unblock-ip', { address: '192.0.2.7' }, driverContext())).changed).toBe(true);
  });

  it('refuses what is not an address and actions it does not serve', async () => {
    expect((await thrown(() => driver.execute('block-ip', { address: 'evil\nline', ttlSeconds: 60, reason: 'r' }, driverContext()))).code).toBe('WATCHPOST_ERR_ACTION_INPUT');
    expect((await thrown(() => driver.execute('notify', { subject: 's', message: 'm' }, driverContext()))).code).toBe('WATCHPOST_ERR_DRIVER_REJECTED');
  });

  it('keeps only the SHA-256 of the token for the route, and wants a long token', () => {
    const token = 'feed-token-abcdefghijklmnopqrstuvwxyz';
    expect(feedAccess('f', token)).toEqual({ id: 'f', tokenSha256: createHash('sha256').update(token).digest('hex') });
    expect(Value.Check(FeedCredentials, { token: 'short' })).toBe(false);
    expect(Value.Check(FeedCredentials, { token })).toBe(true);
  });
});
