import { describe, expect, it } from 'vitest';
import { checkAccountName, findPasswdEntry, findShadowState, isExpired, LINUX_ACCOUNT_NAME } from './linux-accounts.js';

const PASSWD = ['root:x:0:0:root:/root:/bin/bash', 'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin', 'alice:x:1001:1001::/home/alice:/bin/bash', 'broken:x:abc:1::/:/bin/sh', ''].join('\n');
const SHADOW = [
  'root:*:19000:0:99999:7:::',
  'alice:!$y$j9T$abc$def:19000:0:99999:7::1:',
  'bob:$y$j9T$abc$def:19000:0:99999:7:::',
  'carol:!:19000:0:99999:7::20000:',
  'dave:!*:19000::::::',
].join('\n');

describe('local account names', () => {
  it.each(['alice', 'wp-test-123', 'a.b_c', '_svc', 'A'])('accepts %s', (name) => {
    expect(LINUX_ACCOUNT_NAME.test(name)).toBe(true);
  });

  it.each(['-rf', '', 'a b', 'a;b', '*)(uid=*', 'a/b', 'x'.repeat(33), 'ü', 'a\nb', '1abc'])('refuses %j before any program runs', (name) => {
    expect(() => checkAccountName('linux', name)).toThrow(expect.objectContaining({ code: 'WATCHPOST_ERR_ACTION_INPUT' }) as Error);
  });
});

describe('passwd and shadow', () => {
  it('finds the uid of a name, and nothing for an unknown name or a broken line', () => {
    expect(findPasswdEntry(PASSWD, 'alice')).toEqual({ name: 'alice', uid: 1001 });
    expect(findPasswdEntry(PASSWD, 'root')).toEqual({ name: 'root', uid: 0 });
    expect(findPasswdEntry(PASSWD, 'ali')).toBeUndefined();
    expect(findPasswdEntry(PASSWD, 'broken')).toBeUndefined();
  });

  it('reads the lock and the expiry day', () => {
    expect(findShadowState(SHADOW, 'alice')).toEqual({ locked: true, lockedWithoutPassword: false, expireDay: 1 });
    expect(findShadowState(SHADOW, 'bob')).toEqual({ locked: false, lockedWithoutPassword: false, expireDay: undefined });
    expect(findShadowState(SHADOW, 'carol')).toEqual({ locked: true, lockedWithoutPassword: true, expireDay: 20000 });
    expect(findShadowState(SHADOW, 'dave')).toEqual({ locked: true, lockedWithoutPassword: false, expireDay: undefined });
    expect(findShadowState(SHADOW, 'nobody')).toBeUndefined();
  });

  it('calls an account expired from the first millisecond of its expiry day', () => {
    const day = 24 * 3600 * 1000;
    const state = { locked: true, lockedWithoutPassword: false, expireDay: 20000 };
    expect(isExpired(state, 20000 * day - 1)).toBe(false);
    expect(isExpired(state, 20000 * day)).toBe(true);
    expect(isExpired({ ...state, expireDay: undefined }, Date.now())).toBe(false);
  });
});
