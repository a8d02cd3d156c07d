import { describe, expect, it } from 'vitest';
import { hasCode } from '../errors.js';
import { checkPasswordPolicy, DEFAULT_SCRYPT, generatePassword, passwordLength, scryptHasher } from './password.js';

const FAST = { N: 2 ** 10, r: 8, p: 1 };

describe('scryptHasher', () => {
  it('hashes with the default parameters into scrypt$N$r$p$salt$hash with a fresh salt each time, and verifies', async () => {
    const hasher = scryptHasher();
    const encoded = await hasher.hash('correct horse battery');
    expect(encoded).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(DEFAULT_SCRYPT).toEqual({ N: 32768, r: 8, p: 1 });
    expect(await hasher.hash('correct horse battery')).not.toBe(encoded);
    expect(await hasher.verify('correct horse battery', encoded)).toBe(true);
    expect(await hasher.verify('correct horse batterY', encoded)).toBe(false);
    expect(encoded).not.toContain('correct');
  });

  it('verifies a hash made with other parameters from the parameters it carries, and asks for a rehash of weaker ones', async () => {
    const weak = await scryptHasher(FAST).hash('a long passphrase');
    const strong = scryptHasher();
    expect(await strong.verify('a long passphrase', weak)).toBe(true);
    expect(strong.needsRehash(weak)).toBe(true);
    expect(strong.needsRehash(await strong.hash('a long passphrase'))).toBe(false);
    expect(strong.needsRehash('argon2id$whatever')).toBe(true);
  });

  it('treats composed and decomposed accents as the same password', async () => {
    const hasher = scryptHasher(FAST);
    const encoded = await hasher.hash('caf\u00e9-au-lait');
    expect(await hasher.verify('cafe\u0301-au-lait', encoded)).toBe(true);
  });

  it('answers false for no hash, a malformed hash, or one asking for absurd memory, after doing the same work', async () => {
    const hasher = scryptHasher(FAST);
    expect(await hasher.verify('anything at all', undefined)).toBe(false);
    expect(await hasher.verify('anything at all', 'not a hash')).toBe(false);
    const encoded = await hasher.hash('anything at all');
    const huge = encoded.replace('$1024$', `$${2 ** 24}$`);
    expect(await hasher.verify('anything at all', huge)).toBe(false);
    const odd = encoded.replace('$1024$', '$1000$');
    expect(await hasher.verify('anything at all', odd)).toBe(false);
  });

  it('costs about as much for an unknown user as for a known one', async () => {
    const hasher = scryptHasher();
    const encoded = await hasher.hash('known user password');
    await hasher.verify('warm up the dummy', undefined);
    const time = async (hash: string | undefined): Promise<number> => {
      const started = performance.now();
      for (let i = 0; i < 3; i++) await hasher.verify('some guess here', hash);
      return performance.now() - started;
    };
    const known = await time(encoded);
    const unknown = await time(undefined);
    // The same scrypt work either way; a skipped hash would be ~1000× faster.
    expect(unknown / known).toBeGreaterThan(0.4);
    expect(unknown / known).toBeLessThan(2.5);
  });
});

describe('password policy', () => {
  it('accepts 8 to 1024 characters, counted as code points', () => {
    expect(() => checkPasswordPolicy('12345678')).not.toThrow();
    expect(() => checkPasswordPolicy('x'.repeat(1024))).not.toThrow();
    expect(passwordLength('\u{1F600}'.repeat(8))).toBe(8);
    expect(() => checkPasswordPolicy('\u{1F600}'.repeat(8))).not.toThrow();
    for (const bad of ['', '1234567', 'x'.repeat(1025)]) {
      let error: unknown;
      try {
        checkPasswordPolicy(bad);
      } catch (caught) {
        error = caught;
      }
      expect(hasCode(error, 'WATCHPOST_ERR_AUTH_PASSWORD_POLICY'), `${bad.length}`).toBe(true);
    }
  });

  it('refuses to hash a password outside the policy', async () => {
    await expect(scryptHasher(FAST).hash('short')).rejects.toThrow(/8 to 1024 characters/);
  });

  it('generates 24-character passwords, different every time', () => {
    const a = generatePassword();
    expect(a).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(generatePassword()).not.toBe(a);
    expect(() => checkPasswordPolicy(a)).not.toThrow();
  });
});
