import { describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.js';
import { MATCH_ALL, type FilterNode } from '../../core/query/filter.js';
import { kqlCaret, kqlErrorPosition, MAX_KQL_BYTES, MAX_KQL_DEPTH, MAX_KQL_TERMS, parseKql } from './kql.js';

/** The error parseKql throws for `query`, with its position. */
function syntaxError(query: string): { message: string; column: number; line: number } {
  try {
    parseKql(query);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).code).toBe('WATCHPOST_ERR_QUERY_SYNTAX');
    const position = kqlErrorPosition(error);
    expect(position, query).toBeDefined();
    return { message: (error as Error).message, ...(position as { line: number; column: number }) };
  }
  throw new Error(`parseKql accepted ${JSON.stringify(query)}`);
}

const eq = (field: string, value: string | number | boolean): FilterNode => ({ op: 'eq', field, value });

describe('parseKql: terms', () => {
  const cases: [string, FilterNode][] = [
    ['user.name:alice', eq('user.name', 'alice')],
    ['user.name : alice', eq('user.name', 'alice')],
    ['user.name:"Alice Smith"', eq('user.name', 'Alice Smith')],
    ['event.code:4624', eq('event.code', 4624)],
    ['event.code:"4624"', eq('event.code', '4624')],
    ['event.code:007', eq('event.code', '007')],
    ['destination.port:-1.5', eq('destination.port', -1.5)],
    ['event.outcome:true', eq('event.outcome', true)],
    ['event.outcome:True', eq('event.outcome', 'True')],
    ['process.name:*.exe', { op: 'wildcard', field: 'process.name', pattern: '*.exe' }],
    ['host.name:web-0?', { op: 'wildcard', field: 'host.name', pattern: 'web-0?' }],
    ['file.path:C\\:\\\\temp\\\\*', { op: 'wildcard', field: 'file.path', pattern: 'C:\\\\temp\\\\*' }],
    ['process.name:a\\*b', eq('process.name', 'a*b')],
    ['process.name:a\\*b*', { op: 'wildcard', field: 'process.name', pattern: 'a\\*b*' }],
    ['process.name:"a*b?"', eq('process.name', 'a*b?')],
    ['user.name:*', { op: 'exists', field: 'user.name' }],
    ['user.name:**', { op: 'wildcard', field: 'user.name', pattern: '**' }],
    ['source.ip:10.0.0.0/8', { op: 'cidr', field: 'source.ip', cidr: '10.0.0.0/8' }],
    ['source.ip:fe80::/10', { op: 'cidr', field: 'source.ip', cidr: 'fe80::/10' }],
    ['source.ip:"10.0.0.0/8"', eq('source.ip', '10.0.0.0/8')],
    ['source.ip:10.0.0.0/33', eq('source.ip', '10.0.0.0/33')],
    ['source.ip:fe80::1', eq('source.ip', 'fe80::1')],
    ['url.full:https://example.com/a?b', { op: 'wildcard', field: 'url.full', pattern: 'https://example.com/a?b' }],
    ['user.name:a\\ b', eq('user.name', 'a b')],
    ['user.name:a\\tb\\u00e9', eq('user.name', 'a\tbé')],
    ['user.name:"say \\"hi\\" \\\\ C:\\Windows\\n"', eq('user.name', 'say "hi" \\ C:\\Windows\n')],
    ['destination.port > 1024', { op: 'range', field: 'destination.port', gt: 1024 }],
    ['destination.port>=1024', { op: 'range', field: 'destination.port', gte: 1024 }],
    ['destination.port < -5', { op: 'range', field: 'destination.port', lt: -5 }],
    ['destination.port <= 1e3', { op: 'range', field: 'destination.port', lte: 1000 }],
    ['@timestamp >= 2026-01-01T00:00:00Z', { op: 'range', field: '@timestamp', gte: '2026-01-01T00:00:00Z' }],
    ['@timestamp < "2026-01-01T00:00:00.5+02:00"', { op: 'range', field: '@timestamp', lt: '2026-01-01T00:00:00.5+02:00' }],
    ['@timestamp < 2026-01-02', { op: 'range', field: '@timestamp', lt: '2026-01-02' }],
    ['failed', { op: 'text', value: 'failed' }],
    ['"failed password"', { op: 'text', value: 'failed password' }],
    ['failed password', { op: 'text', value: 'failed password' }],
    ['failed and "for root"', { op: 'text', value: 'failed for root' }],
    ['*', MATCH_ALL],
    ['   ', MATCH_ALL],
    ['', MATCH_ALL],
    ['not:x', eq('not', 'x')],
    ['user.name:notable', eq('user.name', 'notable')],
  ];
  it.each(cases)('%s', (query, expected) => {
    expect(parseKql(query)).toEqual(expected);
  });
});

describe('parseKql: boolean structure', () => {
  it('binds not tighter than and, and tighter than or, whatever the case of the keywords', () => {
    const expected: FilterNode = {
      op: 'or',
      children: [eq('a', 1), { op: 'and', children: [eq('b', 2), { op: 'not', child: eq('c', 3) }] }],
    };
    expect(parseKql('a:1 or b:2 and not c:3')).toEqual(expected);
    expect(parseKql('a:1 OR b:2 And NOT c:3')).toEqual(expected);
    expect(parseKql('a:1 or b:2 not c:3')).toEqual(expected);
  });

  it('groups with parentheses and flattens chains of one operator', () => {
    expect(parseKql('(a:1 or b:2) and c:3')).toEqual({ op: 'and', children: [{ op: 'or', children: [eq('a', 1), eq('b', 2)] }, eq('c', 3)] });
    expect(parseKql('a:1 or (b:2 or c:3)')).toEqual({ op: 'or', children: [eq('a', 1), eq('b', 2), eq('c', 3)] });
    expect(parseKql('not (a:1 and b:2)')).toEqual({ op: 'not', child: { op: 'and', children: [eq('a', 1), eq('b', 2)] } });
    expect(parseKql('not not a:1')).toEqual({ op: 'not', child: { op: 'not', child: eq('a', 1) } });
  });

  it('reads value lists with or, and, not and parentheses, each value on the field', () => {
    expect(parseKql('event.action:(logon or logoff)')).toEqual({ op: 'or', children: [eq('event.action', 'logon'), eq('event.action', 'logoff')] });
    expect(parseKql('tags:(a and not "b c")')).toEqual({ op: 'and', children: [eq('tags', 'a'), { op: 'not', child: eq('tags', 'b c') }] });
    expect(parseKql('source.ip:(10.0.0.0/8 or (192.168.* and not 192.168.1.1))')).toEqual({
      op: 'or',
      children: [
        { op: 'cidr', field: 'source.ip', cidr: '10.0.0.0/8' },
        { op: 'and', children: [{ op: 'wildcard', field: 'source.ip', pattern: '192.168.*' }, { op: 'not', child: eq('source.ip', '192.168.1.1') }] },
      ],
    });
  });

  it('joins adjacent terms with and, merging free text into one text node', () => {
    expect(parseKql('failed user.name:root password')).toEqual({ op: 'and', children: [{ op: 'text', value: 'failed password' }, eq('user.name', 'root')] });
    expect(parseKql('failed or password')).toEqual({ op: 'or', children: [{ op: 'text', value: 'failed' }, { op: 'text', value: 'password' }] });
    expect(parseKql('"and" "or"')).toEqual({ op: 'text', value: 'and or' });
  });

  it('merges a lower and an upper comparison of one field in one group into one range', () => {
    expect(parseKql('x >= 1 and x < 5')).toEqual({ op: 'range', field: 'x', gte: 1, lt: 5 });
    expect(parseKql('x >= 1 y:2 x < 5')).toEqual({ op: 'and', children: [{ op: 'range', field: 'x', gte: 1, lt: 5 }, eq('y', 2)] });
    // Two lower bounds, other fields, parenthesized or mixed kinds stay apart.
    expect(parseKql('x > 1 and x > 2')).toEqual({ op: 'and', children: [{ op: 'range', field: 'x', gt: 1 }, { op: 'range', field: 'x', gt: 2 }] });
    expect(parseKql('x > 1 and y < 2')).toEqual({ op: 'and', children: [{ op: 'range', field: 'x', gt: 1 }, { op: 'range', field: 'y', lt: 2 }] });
    expect(parseKql('(x > 1) and x < 2')).toEqual({ op: 'and', children: [{ op: 'range', field: 'x', gt: 1 }, { op: 'range', field: 'x', lt: 2 }] });
    expect(parseKql('x > 1 and x < 2026-01-01')).toEqual({ op: 'and', children: [{ op: 'range', field: 'x', gt: 1 }, { op: 'range', field: 'x', lt: '2026-01-01' }] });
    expect(parseKql('x > 1 or x < 0')).toEqual({ op: 'or', children: [{ op: 'range', field: 'x', gt: 1 }, { op: 'range', field: 'x', lt: 0 }] });
  });
});

describe('parseKql: errors', () => {
  const cases: [string, number, string][] = [
    ['user.name:', 11, 'expected a value for "user.name", found the end of the query'],
    ['user.name: and x', 12, 'found the keyword "and"'],
    ['a:1 and', 8, 'expected a term, found the end of the query'],
    ['and a:1', 1, 'expected a term before "and"'],
    ['a:1 or or b:2', 8, 'expected a term before "or"'],
    ['(a:1 or b:2', 12, 'missing ")" to close the "(" at column 1'],
    ['a:1)', 4, 'unexpected ")" without a matching "("'],
    ['()', 2, 'empty parentheses'],
    ['x:()', 4, 'empty value list'],
    ['user.name:"alice', 11, 'missing closing quote'],
    ['fail*', 1, 'wildcards need a field'],
    ['us*r:x', 1, 'invalid field name "us*r"'],
    ['a\\:b:x', 1, 'invalid field name "a:b"'],
    ['x > abc', 5, 'expected a number or an ISO-8601 date-time after "x >", found "abc"'],
    ['x >= 2026-13-45', 6, 'found "2026-13-45"'],
    ['x > 5*', 5, 'a comparison takes no wildcards'],
    ['x <', 4, 'expected a number or an ISO-8601 date-time'],
    ['a:b\\x', 4, '"\\x" is not an escape'],
    ['a:b\\', 4, 'escapes nothing'],
    ['a:{b}', 3, '"{" is reserved'],
    ['a:"\\u12"', 4, 'four hexadecimal digits'],
    ['"---"', 1, 'has no word to search for'],
    ['a:1 :', 5, 'expected a term, found ":"'],
    ['a:é and (b', 11, 'missing ")"'],
  ];
  it.each(cases)('%s → column %i', (query, column, message) => {
    const error = syntaxError(query);
    expect(error.column).toBe(column);
    expect(error.line).toBe(1);
    expect(error.message).toContain(message);
    expect(error.message).toContain(`at column ${column}:`);
  });

  it('counts lines and columns in characters for multi-line queries', () => {
    const error = syntaxError('a:1 and\r\n  x:😀 and (');
    expect([error.line, error.column]).toEqual([2, 12]);
    expect(error.message).toContain('at line 2, column 12:');
  });

  it('draws a caret under the column', () => {
    const query = 'user.name:alice and\tsource.ip:';
    const position = kqlErrorPosition(syntaxError(query) && catchError(query));
    expect(kqlCaret(query, position!)).toBe(`user.name:alice and source.ip:\n${' '.repeat(30)}^`);
  });

  it('refuses queries over the size, depth and term limits, and accepts them at the limit', () => {
    expect(() => parseKql('a'.repeat(MAX_KQL_BYTES))).not.toThrow();
    expect(syntaxError('a'.repeat(MAX_KQL_BYTES + 1)).message).toContain(`at most ${MAX_KQL_BYTES} bytes`);
    expect(syntaxError('é'.repeat(MAX_KQL_BYTES / 2 + 1)).message).toContain('bytes');

    expect(() => parseKql(`${'('.repeat(MAX_KQL_DEPTH)}a:1${')'.repeat(MAX_KQL_DEPTH)}`)).not.toThrow();
    const deep = syntaxError(`${'('.repeat(MAX_KQL_DEPTH + 1)}a:1${')'.repeat(MAX_KQL_DEPTH + 1)}`);
    expect(deep.message).toContain(`nested deeper than ${MAX_KQL_DEPTH}`);
    expect(deep.column).toBe(MAX_KQL_DEPTH + 1);
    expect(syntaxError(`${'not '.repeat(MAX_KQL_DEPTH + 1)}a:1`).message).toContain('nested deeper');
    expect(syntaxError(`x:${'('.repeat(MAX_KQL_DEPTH + 1)}1${')'.repeat(MAX_KQL_DEPTH + 1)}`).message).toContain('nested deeper');

    const terms = (n: number) => Array.from({ length: n }, () => 'f:1').join(' ');
    expect(() => parseKql(terms(MAX_KQL_TERMS))).not.toThrow();
    expect(syntaxError(terms(MAX_KQL_TERMS + 1)).message).toContain(`more than ${MAX_KQL_TERMS} terms`);
    expect(syntaxError(`x:(${Array.from({ length: MAX_KQL_TERMS + 1 }, (_, i) => i).join(' or ')})`).message).toContain('terms');
  });

  it('gives no position for errors that are not KQL syntax errors', () => {
    expect(kqlErrorPosition(new Error('x'))).toBeUndefined();
    expect(kqlErrorPosition(new UserError('WATCHPOST_ERR_STORE_INVALID_QUERY', 'x'))).toBeUndefined();
  });
});

function catchError(query: string): unknown {
  try {
    parseKql(query);
  } catch (error) {
    return error;
  }
  return undefined;
}
