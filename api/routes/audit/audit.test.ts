import { describe, expect, it } from 'vitest';
import { describeAuditApi } from '../../../test/api/suites/audit.js';
import { withoutSecrets } from './record.js';

describe('withoutSecrets', () => {
  it('drops secret keys at any depth and keeps everything else', () => {
    expect(
      withoutSecrets({ id: 'u', passwordHash: 'scrypt$x', roles: ['a'], nested: [{ secretHash: 'ab', name: 'n', deeper: { secret: 's', csrfHash: 'c', rev: '1', ok: 1 } }] }),
    ).toEqual({ id: 'u', roles: ['a'], nested: [{ name: 'n', deeper: { ok: 1 } }] });
  });
});

describeAuditApi('sqlite');
