import { describe, expect, it } from 'vitest';
import { rolesForGroups } from './oidc-users.js';
import { groupsOf } from './oidc.js';

describe('rolesForGroups', () => {
  const config = { groupRoles: { 'soc-analysts': 'analyst', '/watchpost/admins': 'admin', machines: 'ingest' } as Record<string, string> };

  it('grants the role of every mapped group, in role order', () => {
    expect(rolesForGroups(['/watchpost/admins', 'staff', 'soc-analysts'], config)).toEqual(['analyst', 'admin']);
  });

  it('falls back to the default role only when no group is mapped, and to nothing without one', () => {
    expect(rolesForGroups(['staff'], { ...config, defaultRole: 'viewer' })).toEqual(['viewer']);
    expect(rolesForGroups(['soc-analysts'], { ...config, defaultRole: 'viewer' })).toEqual(['analyst']);
    expect(rolesForGroups(['staff'], config)).toEqual([]);
    expect(rolesForGroups([], config)).toEqual([]);
  });

  it('never grants the machine role, nor anything through inherited object keys', () => {
    expect(rolesForGroups(['machines'], config)).toEqual([]);
    expect(rolesForGroups(['__proto__', 'constructor', 'toString'], config)).toEqual([]);
  });
});

describe('groupsOf', () => {
  it('reads a list of strings or one bare string, and drops anything else', () => {
    expect(groupsOf(['a', 3, '', 'b', null])).toEqual(['a', 'b']);
    expect(groupsOf('solo')).toEqual(['solo']);
    expect(groupsOf({ a: 1 })).toEqual([]);
    expect(groupsOf(undefined)).toEqual([]);
  });

  it('bounds the list and the length of each name', () => {
    expect(groupsOf(Array.from({ length: 5000 }, (_, i) => `g${i}`))).toHaveLength(1000);
    expect(groupsOf(['x'.repeat(257), 'ok'])).toEqual(['ok']);
  });
});
