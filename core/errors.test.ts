import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { ERROR_CATALOGUE, OperationalError, UserError, hasCode, isRetryable, formatProblem } from './errors.js';
import { renderErrorsDoc } from './errors-doc.js';

const root = new URL('../', import.meta.url);

describe('error catalogue', () => {
  it('docs/errors.md is exactly what the catalogue renders (run `npm run docs:errors` after changing codes)', () => {
    expect(readFileSync(new URL('docs/errors.md', root), 'utf8')).toBe(renderErrorsDoc());
  });

  it('every WATCHPOST_ERR_ code used in the source is in the catalogue, and every catalogue code is used', () => {
    const output = execFileSync('git', ['grep', '--untracked', '-h', '-o', '-E', 'WATCHPOST_ERR_[A-Z_]+', '--', '*.ts', ':!docs'], {
      cwd: root,
      encoding: 'utf8',
    });
    const used = new Set(output.split('\n').filter((code) => code.length > 0));
    const known = new Set(Object.keys(ERROR_CATALOGUE));
    expect([...used].filter((code) => !known.has(code))).toEqual([]);
    // Codes only mentioned by the catalogue itself are dead entries.
    const usedOutsideCatalogue = execFileSync(
      'git',
      ['grep', '--untracked', '-h', '-o', '-E', 'WATCHPOST_ERR_[A-Z_]+', '--', '*.ts', ':!core/errors.ts', ':!core/errors.test.ts', ':!docs'],
      { cwd: root, encoding: 'utf8' },
    );
    const live = new Set(usedOutsideCatalogue.split('\n'));
    expect([...known].filter((code) => !live.has(code))).toEqual([]);
  });

  it('classifies intents', () => {
    const user = new UserError('WATCHPOST_ERR_CONFIG_INVALID', 'bad', {
      problems: [{ message: 'unknown key "x"', location: { file: 'a.yaml', line: 2, col: 3 } }],
    });
    expect(user.intent).toBe('user');
    expect(user.name).toBe('UserError');
    expect(hasCode(user, 'WATCHPOST_ERR_CONFIG_INVALID')).toBe(true);
    expect(hasCode(user, 'WATCHPOST_ERR_CONFIG_PARSE')).toBe(false);
    expect(isRetryable(user)).toBe(false);
    expect(isRetryable(new OperationalError('WATCHPOST_ERR_STORE_UNAVAILABLE', 'down'))).toBe(true);
    expect(formatProblem(user.problems[0]!)).toBe('a.yaml:2:3: unknown key "x"');
  });
});
