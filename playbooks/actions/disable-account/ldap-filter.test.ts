import { EqualityFilter, FilterParser, AndFilter } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../../core/errors.js';
import { accountFilter, checkFilterTemplate, escapeFilterValue } from './ldap-filter.js';

describe('escapeFilterValue (RFC 4515 section 3)', () => {
  it('escapes the filter metacharacters, NUL and control characters as \\XX', () => {
    expect(escapeFilterValue('*')).toBe('\\2a');
    expect(escapeFilterValue('a(b)c')).toBe('a\\28b\\29c');
    expect(escapeFilterValue('C:\\x')).toBe('C:\\5cx');
    expect(escapeFilterValue('a\u0000b\nc\u007f')).toBe('a\\00b\\0ac\\7f');
  });

  it('leaves ordinary names, including non-ASCII UTF-8, as they are', () => {
    expect(escapeFilterValue('alice.smith-2@example.org')).toBe('alice.smith-2@example.org');
    expect(escapeFilterValue('jürgen')).toBe('jürgen');
  });
});

describe('accountFilter', () => {
  it('turns a hostile name into one literal equality assertion, not a wildcard or a second clause', () => {
    const filter = FilterParser.parseString(accountFilter('(uid={account})', '*)(uid=*'));
    expect(filter).toBeInstanceOf(EqualityFilter);
    expect((filter as EqualityFilter).attribute).toBe('uid');
    expect((filter as EqualityFilter).value).toBe('*)(uid=*');
  });

  it('fills every placeholder of a compound template', () => {
    const text = accountFilter('(&(objectClass=person)(|(uid={account})(mail={account})))', 'bob');
    expect(text).toBe('(&(objectClass=person)(|(uid=bob)(mail=bob)))');
    expect(FilterParser.parseString(text)).toBeInstanceOf(AndFilter);
  });
});

describe('checkFilterTemplate', () => {
  it('accepts a template that names {account} and parses', () => {
    expect(() => checkFilterTemplate('d', '(sAMAccountName={account})')).not.toThrow();
  });

  it.each([
    ['no placeholder', '(uid=alice)'],
    ['not a filter', '(uid={account}'],
    ['too long', `(uid={account})${'x'.repeat(1000)}`],
  ])('refuses %s with WATCHPOST_ERR_DRIVER_CONFIG', (_label, template) => {
    let caught: unknown;
    try {
      checkFilterTemplate('d', template);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UserError);
    expect((caught as UserError).code).toBe('WATCHPOST_ERR_DRIVER_CONFIG');
  });
});
