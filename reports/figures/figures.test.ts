import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteCaseStore } from '../../backends/sqlite/case-store.js';
import { openSqliteDatabase } from '../../backends/sqlite/database.js';
import { SqliteEventStore } from '../../backends/sqlite/event-store.js';
import { describeFiguresSuite } from './testdata/suite.js';
import { tacticsOf } from './tactics.js';
import { entryText, MAX_ENTRY_TEXT } from './timeline.js';

// Both stores on one database file, as `watchpost start` runs them.
describeFiguresSuite('sqlite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'watchpost-figures-'));
  const db = openSqliteDatabase(join(dir, 'watchpost.db'));
  return Promise.resolve({
    cases: new SqliteCaseStore(db),
    events: new SqliteEventStore(db),
    cleanup: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  });
});

describe('tacticsOf', () => {
  it('reads SigmaHQ tactic tags in either spelling and ignores techniques, groups and software', () => {
    expect(tacticsOf(['attack.initial_access', 'attack.t1190', 'attack.Privilege-Escalation', 'attack.g0007', 'attack.s0002', 'cve.2021-44228', 'attack.initial-access'])).toEqual([
      'initial_access',
      'privilege_escalation',
    ]);
    expect(tacticsOf(['attack.defense-impairment', 'attack.stealth', 'attack.defense_evasion', 'attack.mitre', 'attack.'])).toEqual(['defense_impairment', 'stealth', 'defense_evasion']);
  });
});

describe('entryText', () => {
  it('keeps the first non-blank line, cut to the limit with an ellipsis', () => {
    expect(entryText({ kind: 'comment', body: '\r\n  first  \r\nsecond' })).toBe('first');
    const long = 'é'.repeat(MAX_ENTRY_TEXT + 1);
    expect(entryText({ kind: 'comment', body: long })).toBe(`${'é'.repeat(MAX_ENTRY_TEXT - 1)}…`);
    expect(entryText({ kind: 'comment', body: 'é'.repeat(MAX_ENTRY_TEXT) })).toBe('é'.repeat(MAX_ENTRY_TEXT));
  });

  it('names the kind when there is no body', () => {
    expect(entryText({ kind: 'status', data: { to: 'contained' } })).toBe('Status → contained');
    expect(entryText({ kind: 'action', body: '   ' })).toBe('Response action');
    expect(entryText({ kind: 'created' })).toBe('Incident opened');
  });
});
