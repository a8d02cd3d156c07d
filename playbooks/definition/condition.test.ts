import { describe, expect, it } from 'vitest';
import type { Alert } from '../../core/cases/types.js';
import { evaluateCondition, globMatch, readCondition } from './condition.js';
import type { TemplateContext } from './template.js';
import type { Condition } from './types.js';

const alert = {
  id: 'a-1',
  ruleId: 'r',
  ruleTitle: 'T',
  severity: 'high',
  count: 12,
  entities: { 'source.ip': '10.1.2.3', 'user.name': 'Svc-Backup', 'destination.port': '22', 'host.name': 'db-1' },
  tags: ['attack.t1110', 'attack.credential-access'],
  eventIds: [],
} as unknown as Alert;
const context: TemplateContext = { alert, playbook: { id: 'p', title: 'P' }, run: { id: 'p.a-1' }, steps: { block: { status: 'failed' } } };
const holds = (condition: Condition): boolean => evaluateCondition(condition, context);

describe('evaluateCondition', () => {
  it('equals compares text case-insensitively and numbers numerically', () => {
    expect(holds({ field: 'alert.entities.user.name', equals: 'svc-backup' })).toBe(true);
    expect(holds({ field: 'alert.entities.user.name', equals: 'svc' })).toBe(false);
    expect(holds({ field: 'alert.entities.destination.port', equals: 22 })).toBe(true);
    expect(holds({ field: 'alert.count', equals: '12' })).toBe(true);
    expect(holds({ field: 'steps.block.status', equals: 'failed' })).toBe(true);
  });

  it('in, cidr, gte, lte and matches', () => {
    expect(holds({ field: 'alert.severity', in: ['high', 'critical'] })).toBe(true);
    expect(holds({ field: 'alert.severity', in: ['low'] })).toBe(false);
    expect(holds({ field: 'alert.entities.source.ip', cidr: ['10.0.0.0/8'] })).toBe(true);
    expect(holds({ field: 'alert.entities.source.ip', cidr: ['192.168.0.0/16', '2001:db8::/32'] })).toBe(false);
    expect(holds({ field: 'alert.entities.host.name', cidr: ['0.0.0.0/0'] })).toBe(false);
    expect(holds({ field: 'alert.count', gte: 12 })).toBe(true);
    expect(holds({ field: 'alert.count', gte: 13 })).toBe(false);
    expect(holds({ field: 'alert.entities.destination.port', lte: 1023 })).toBe(true);
    expect(holds({ field: 'alert.entities.user.name', gte: 1 })).toBe(false);
    expect(holds({ field: 'alert.entities.user.name', matches: 'svc-*' })).toBe(true);
    expect(holds({ field: 'alert.entities.host.name', matches: 'db-?' })).toBe(true);
    expect(holds({ field: 'alert.entities.host.name', matches: 'web-*' })).toBe(false);
  });

  it('a list field holds when any item does', () => {
    expect(holds({ field: 'alert.tags', equals: 'ATTACK.T1110' })).toBe(true);
    expect(holds({ field: 'alert.tags', matches: 'attack.t1110*' })).toBe(true);
    expect(holds({ field: 'alert.tags', in: ['attack.t1078'] })).toBe(false);
    expect(holds({ field: 'alert.eventIds', exists: true })).toBe(false);
  });

  it('a missing field satisfies only exists: false', () => {
    expect(holds({ field: 'alert.entities.file.path', exists: false })).toBe(true);
    expect(holds({ field: 'alert.entities.file.path', exists: true })).toBe(false);
    expect(holds({ field: 'alert.entities.source.ip', exists: false })).toBe(false);
    expect(holds({ field: 'alert.entities.file.path', equals: 'x' })).toBe(false);
    expect(holds({ field: 'alert.entities.file.path', matches: '*' })).toBe(false);
    expect(holds({ not: { field: 'alert.entities.file.path', equals: 'x' } })).toBe(true);
    expect(holds({ field: 'incident.severity', equals: 'high' })).toBe(false);
  });

  it('every test given must hold', () => {
    expect(holds({ field: 'alert.count', gte: 10, lte: 20 })).toBe(true);
    expect(holds({ field: 'alert.count', gte: 10, lte: 11 })).toBe(false);
    expect(holds({ field: 'alert.entities.source.ip', exists: true, cidr: ['10.0.0.0/8'] })).toBe(true);
  });

  it('all, any and not combine', () => {
    const internal: Condition = { field: 'alert.entities.source.ip', cidr: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] };
    expect(holds({ all: [internal, { field: 'alert.severity', equals: 'high' }] })).toBe(true);
    expect(holds({ all: [internal, { field: 'alert.severity', equals: 'low' }] })).toBe(false);
    expect(holds({ any: [{ not: internal }, { field: 'alert.count', gte: 100 }] })).toBe(false);
    expect(holds({ any: [{ not: internal }, { field: 'alert.count', gte: 10 }] })).toBe(true);
  });

  it('never reads prototypes', () => {
    expect(holds({ field: 'alert.constructor', exists: true })).toBe(false);
    expect(holds({ field: 'alert.entities.toString', exists: true })).toBe(false);
    expect(holds({ field: 'alert.tags.length', gte: 0 })).toBe(false);
  });
});

describe('globMatch', () => {
  it('matches * and ? case-insensitively, anchored', () => {
    expect(globMatch('a*b?d', 'AxxxbCd')).toBe(true);
    expect(globMatch('a*b?d', 'axxxbcde')).toBe(false);
    expect(globMatch('*', '')).toBe(true);
    expect(globMatch('?', '')).toBe(false);
    expect(globMatch('a.b', 'axb')).toBe(false);
    expect(globMatch('[a]', '[A]')).toBe(true);
  });

  it('stays fast on patterns that make regular expressions backtrack', () => {
    const started = performance.now();
    expect(globMatch('*a*a*a*a*a*a*a*b', 'a'.repeat(5000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('readCondition', () => {
  const read = (raw: unknown, roots?: readonly string[]): { condition?: Condition; problems: string[] } => {
    const problems: string[] = [];
    const condition = readCondition(raw, ['when'], (message, at, atKey) => problems.push(`${at.join('.')}${atKey ? ' (key)' : ''}: ${message}`), roots);
    return { ...(condition !== undefined ? { condition } : {}), problems };
  };

  it('returns a good condition frozen', () => {
    const { condition, problems } = read({ all: [{ field: 'alert.count', gte: 3 }, { not: { field: 'alert.entities.source.ip', cidr: ['10.0.0.0/8'] } }] });
    expect(problems).toEqual([]);
    expect(condition).toEqual({ all: [{ field: 'alert.count', gte: 3 }, { not: { field: 'alert.entities.source.ip', cidr: ['10.0.0.0/8'] } }] });
    expect(Object.isFrozen(condition)).toBe(true);
  });

  it('reports each problem with where it is', () => {
    expect(read('alert.count > 3').problems).toEqual(['when: a condition must be a map (all:, any:, not: or field:), got string "alert.count > 3"']);
    expect(read({ all: [] }).problems).toEqual(['when.all: "all" must be a list of 1 to 1000 conditions, got a list']);
    expect(read({ all: [{ field: 'alert.count' }], any: [] }).problems).toEqual([
      'when.any (key): "any" cannot stand beside "all": write one of all, any, not or field per condition',
      'when.all.0: the condition on "alert.count" tests nothing: add one of equals, in, cidr, exists, gte, lte, matches',
    ]);
    expect(read({ field: 'alert.count', gte: 'three', exists: 'yes', in: [], matches: '' }).problems).toEqual([
      'when.gte: "gte" must be a number, got string "three"',
      'when.exists: "exists" must be true or false, got string "yes"',
      'when.in: "in" must be a list of 1 to 1000 strings or numbers, got a list',
      'when.matches: "matches" must be a glob pattern of 1 to 1000 characters, got string ""',
    ]);
    expect(read({ field: 'alert.entities.source.ip', cidr: ['10.0.0.0/8', 'internal', 7] }).problems).toEqual([
      'when.cidr.1: not an IP address or CIDR prefix: "internal"',
      'when.cidr.2: not an IP address or CIDR prefix: number 7',
    ]);
    expect(read({ equals: 'x' }).problems).toEqual(['when: a condition needs "field" (or all:, any:, not:)']);
    expect(read({ field: 'alert.count', gte: 1, size: 3 }).problems).toEqual([
      'when.size (key): unknown key "size" in a condition; a condition has all, any, not, or field with equals, in, cidr, exists, gte, lte, matches',
    ]);
    expect(read({ field: 'steps.x.status', equals: 'ok' }, ['alert']).problems).toEqual(['when.field: "steps.x.status" starts with "steps"; a path starts with one of alert']);
    expect(read({ field: 'alert.__proto__.x', exists: true }).problems).toEqual(['when.field: "alert.__proto__.x" names "__proto__", which is never a field']);
  });

  it('refuses nesting deeper than 16 levels', () => {
    let raw: unknown = { field: 'alert.count', gte: 1 };
    for (let i = 0; i < 20; i += 1) raw = { not: raw };
    expect(read(raw).problems).toEqual([`when${'.not'.repeat(17)}: conditions nest deeper than 16 levels`]);
  });
});
