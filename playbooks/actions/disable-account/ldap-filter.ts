/**
 * Building the search filter that finds an account: the configured template (`(uid={account})`)
 * with the account escaped as an RFC 4515 assertion value, so a name like `*)(uid=*` is a
 * literal that matches nothing rather than a wildcard or a second clause.
 *
 * Written by hand because ldapts only exposes its escaping as an instance method of a filter
 * object; the rules are RFC 4515 section 3 (escape `*`, `(`, `)`, `\` and NUL as `\XX`), and we
 * escape every other control character too so nothing unprintable reaches a server log.
 */
import { FilterParser } from 'ldapts';
import { UserError } from '../../../core/errors.js';

/** The placeholder the account replaces in a filter template. */
export const ACCOUNT_PLACEHOLDER = '{account}';

/** The longest filter template accepted. */
const MAX_TEMPLATE_LENGTH = 1000;

/** Escapes `value` for use as an assertion value in an LDAP filter (RFC 4515 section 3). */
export function escapeFilterValue(value: string): string {
  let escaped = '';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '*' || char === '(' || char === ')' || char === '\\' || code < 0x20 || code === 0x7f) {
      escaped += `\\${code.toString(16).padStart(2, '0')}`;
    } else {
      escaped += char;
    }
  }
  return escaped;
}

/**
 * Checks a filter template when a driver is built: it must name `{account}` and, filled with a
 * sample account, parse as a filter. Throws a UserError (WATCHPOST_ERR_DRIVER_CONFIG).
 */
export function checkFilterTemplate(driverId: string, template: string): void {
  if (template.length > MAX_TEMPLATE_LENGTH || !template.includes(ACCOUNT_PLACEHOLDER)) {
    throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `driver ${driverId}: userFilter must contain ${ACCOUNT_PLACEHOLDER} and be at most ${MAX_TEMPLATE_LENGTH} characters`);
  }
  try {
    FilterParser.parseString(accountFilter(template, 'sample'));
  } catch (error) {
    throw new UserError('WATCHPOST_ERR_DRIVER_CONFIG', `driver ${driverId}: userFilter is not an LDAP filter: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/** The filter for `account`: every `{account}` in the template replaced by the escaped name. */
export function accountFilter(template: string, account: string): string {
  return template.split(ACCOUNT_PLACEHOLDER).join(escapeFilterValue(account));
}
