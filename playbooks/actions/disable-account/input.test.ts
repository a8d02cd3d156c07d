import { describe, expect, it } from 'vitest';
import { readAccountRequest } from './input.js';

describe('readAccountRequest', () => {
  it('reads the account of a disable or enable request', () => {
    expect(readAccountRequest('d', 'disable-account', { account: 'alice', reason: 'spraying', ttlSeconds: 60 })).toEqual({ action: 'disable-account', account: 'alice' });
    expect(readAccountRequest('d', 'enable-account', { account: 'alice' })).toEqual({ action: 'enable-account', account: 'alice' });
  });

  it.each([
    ['a filter injection', { account: '*)(uid=*', reason: 'r' }],
    ['a DN injection', { account: 'a,ou=admins', reason: 'r' }],
    ['a missing reason', { account: 'alice' }],
    ['an extra key', { account: 'alice', reason: 'r', shell: 'x' }],
    ['not an object', 'alice'],
  ])('refuses %s with WATCHPOST_ERR_ACTION_INPUT', (_label, input) => {
    expect(() => readAccountRequest('d', 'disable-account', input)).toThrow(expect.objectContaining({ code: 'WATCHPOST_ERR_ACTION_INPUT' }) as Error);
  });

  it('refuses an action an identity driver does not serve', () => {
    expect(() => readAccountRequest('d', 'block-ip', { address: '192.0.2.1', ttlSeconds: 1, reason: 'r' })).toThrow(
      expect.objectContaining({ code: 'WATCHPOST_ERR_DRIVER_REJECTED' }) as Error,
    );
  });
});
