import { describe, expect, it } from 'vitest';
import type { FilterNode } from '../../core/query/filter.js';
import { parseFilterRegex } from '../../core/query/regex.js';
import { compileFilterDsl, type FieldTypes } from './filter-dsl.js';
import { toLuceneRegex } from './lucene-regex.js';

const FIELDS: FieldTypes = {
  'source.ip': 'ip',
  'source.port': 'number',
  message: 'text',
  '@timestamp': 'date',
  'labels.flag': 'boolean',
};

const lucene = (pattern: string): string => toLuceneRegex(parseFilterRegex(pattern));

describe('compileFilterDsl', () => {
  it.each<[string, FilterNode, unknown]>([
    ['empty and', { op: 'and', children: [] }, { match_all: {} }],
    ['empty or', { op: 'or', children: [] }, { match_none: {} }],
    [
      'and/or/not',
      { op: 'and', children: [{ op: 'exists', field: 'user.name' }, { op: 'not', child: { op: 'or', children: [{ op: 'exists', field: 'tags' }] } }] },
      {
        bool: {
          filter: [
            { exists: { field: 'user.name' } },
            { bool: { must_not: [{ bool: { should: [{ exists: { field: 'tags' } }], minimum_should_match: 1 } }] } },
          ],
        },
      },
    ],
    ['eq keyword', { op: 'eq', field: 'user.name', value: 'Root' }, { term: { 'user.name.lower': 'root' } }],
    ['eq case-sensitive', { op: 'eq', field: 'user.name', value: 'Root', caseSensitive: true }, { term: { 'user.name': 'Root' } }],
    ['eq number on keyword', { op: 'eq', field: 'event.code', value: 4625 }, { term: { 'event.code.lower': '4625' } }],
    ['eq number', { op: 'eq', field: 'source.port', value: 22 }, { term: { 'source.port': 22 } }],
    ['eq decimal string on number', { op: 'eq', field: 'source.port', value: '22' }, { term: { 'source.port': 22 } }],
    ['eq word on number', { op: 'eq', field: 'source.port', value: 'ssh' }, { match_none: {} }],
    ['eq boolean', { op: 'eq', field: 'labels.flag', value: 'TRUE' }, { term: { 'labels.flag': true } }],
    ['eq on ip uses the verbatim view', { op: 'eq', field: 'source.ip', value: '10.0.0.1' }, { term: { 'source.ip.lower': '10.0.0.1' } }],
    ['contains escapes', { op: 'contains', field: 'message', value: 'a*b?c\\' }, { wildcard: { 'message.lower': { value: '*a\\*b\\?c\\\\*' } } }],
    ['startswith', { op: 'startswith', field: 'url.path', value: '/admin', caseSensitive: true }, { prefix: { 'url.path': { value: '/admin' } } }],
    ['endswith', { op: 'endswith', field: 'file.name', value: '.exe' }, { wildcard: { 'file.name.lower': { value: '*.exe' } } }],
    ['contains on number', { op: 'contains', field: 'source.port', value: '2' }, { match_none: {} }],
    ['wildcard', { op: 'wildcard', field: 'host.name', pattern: 'WEB-??\\*' }, { wildcard: { 'host.name.lower': { value: 'web-??\\*' } } }],
    ['wildcard with the empty pattern is the empty term', { op: 'wildcard', field: 'user.domain', pattern: '' }, { term: { 'user.domain.lower': '' } }],
    ['wildcard with the empty pattern, case-sensitive', { op: 'wildcard', field: 'message', pattern: '', caseSensitive: true }, { term: { 'message.keyword': '' } }],
    ['regex', { op: 'regex', field: 'process.command_line', pattern: '^CMD\\.exe[A-C]', flags: { i: true } }, { regexp: { 'process.command_line.lower': { value: 'cmd\\.exe[A-Ca-c].*', flags: 'NONE' } } }],
    ['cidr on ip', { op: 'cidr', field: 'source.ip', cidr: '10.0.0.0/8' }, { term: { 'source.ip': '10.0.0.0/8' } }],
    ['cidr on keyword', { op: 'cidr', field: 'source.address', cidr: '10.0.0.0/8' }, { match_none: {} }],
    ['exists on ip', { op: 'exists', field: 'source.ip' }, { bool: { should: [{ exists: { field: 'source.ip' } }, { exists: { field: 'source.ip.keyword' } }], minimum_should_match: 1 } }],
    ['range numbers', { op: 'range', field: 'source.port', gte: 1, lt: 1024 }, { range: { 'source.port': { gte: 1, lt: 1024 } } }],
    ['range numbers on keyword', { op: 'range', field: 'event.code', gte: 1 }, { match_none: {} }],
    ['range dates', { op: 'range', field: '@timestamp', gte: '2024-01-01T00:00:00+01:00' }, { range: { '@timestamp': { gte: Date.UTC(2023, 11, 31, 23), format: 'epoch_millis' } } }],
    ['text', { op: 'text', value: 'failed root' }, { multi_match: { query: 'failed root', fields: ['message', 'event.original'], type: 'cross_fields', operator: 'and' } }],
    ['text without words', { op: 'text', value: ' - ' }, { match_none: {} }],
  ])('%s', (_name, filter, expected) => {
    expect(compileFilterDsl(filter, FIELDS, { lowerSubfields: true })).toEqual(expected);
  });

  it.each<[string, FilterNode, unknown]>([
    ['eq', { op: 'eq', field: 'user.name', value: 'Root' }, { term: { 'user.name': { value: 'Root', case_insensitive: true } } }],
    ['eq on ip', { op: 'eq', field: 'source.ip', value: 'FE80::1' }, { term: { 'source.ip.keyword': { value: 'FE80::1', case_insensitive: true } } }],
    ['eq case-sensitive', { op: 'eq', field: 'user.name', value: 'Root', caseSensitive: true }, { term: { 'user.name': 'Root' } }],
    ['contains', { op: 'contains', field: 'message', value: 'A*' }, { wildcard: { 'message.keyword': { value: '*A\\**', case_insensitive: true } } }],
    ['startswith', { op: 'startswith', field: 'url.path', value: '/Admin' }, { prefix: { 'url.path': { value: '/Admin', case_insensitive: true } } }],
    ['wildcard', { op: 'wildcard', field: 'host.name', pattern: 'WEB-*' }, { wildcard: { 'host.name': { value: 'WEB-*', case_insensitive: true } } }],
    ['wildcard with the empty pattern', { op: 'wildcard', field: 'host.name', pattern: '' }, { term: { 'host.name': '' } }],
    ['regex', { op: 'regex', field: 'user.name', pattern: '^[A-C]x', flags: { i: true } }, { regexp: { 'user.name': { value: '[A-C]x.*', flags: 'NONE', case_insensitive: true } } }],
  ])('without .lower views, %s uses case_insensitive', (_name, filter, expected) => {
    expect(compileFilterDsl(filter, FIELDS)).toEqual(expected);
  });

  it.each<[string, FilterNode]>([
    ['bad field', { op: 'exists', field: 'a b' }],
    ['lookbehind', { op: 'regex', field: 'message', pattern: '(?<=a)b' }],
    ['backreference', { op: 'regex', field: 'message', pattern: '(a)\\1' }],
    ['word boundary', { op: 'regex', field: 'message', pattern: '\\broot\\b' }],
    ['inner anchor', { op: 'regex', field: 'message', pattern: 'a(^b)' }],
    ['bad cidr', { op: 'cidr', field: 'source.ip', cidr: '10.0.0.0/8/1' }],
    ['mixed range', { op: 'range', field: 'x', gte: 1, lt: '2024-01-01' }],
  ])('rejects %s', (_name, filter) => {
    expect(() => compileFilterDsl(filter, FIELDS, { lowerSubfields: true })).toThrow(expect.objectContaining({ code: 'WATCHPOST_ERR_STORE_INVALID_QUERY' }));
  });
});

describe('toLuceneRegex', () => {
  it.each([
    ['abc', '.*abc.*'],
    ['^abc$', 'abc'],
    ['a|^b|c$', '.*a.*|b.*|.*c'],
    ['\\d+\\.\\d{1,3}', '.*[0-9]+\\.[0-9]{1,3}.*'],
    ['[\\w-]+?', '.*[a-zA-Z0-9\\_\\-]+.*'],
    ['\\D', '.*[^0-9].*'],
    ['(?:ab)*(?<n>c)', '.*(ab)*(c).*'],
    // Control and other non-punctuation characters are written bare: Lucene 10 ignores a class
    // range whose ends are escaped control characters.
    ['a.b', '.*a[^\n\r\u2028\u2029]b.*'],
    ['\\s', '.*[ \t-\r\u00a0\u2028-\u2029\ufeff].*'],
    ['[\\t-\\r]', '.*[\t-\r].*'],
    ['"@<~#&', '.*\\"\\@\\<\\~\\#\\&.*'],
    ['x{2,}y{3}', '.*x{2,}y{3}.*'],
    ['\\x41\\t', '.*A\t.*'],
    ['😀€', '.*😀€.*'],
  ])('%s → %s', (pattern, expected) => {
    expect(lucene(pattern)).toBe(expected);
  });

  it('folds literals and adds folded ranges for the lower-cased view', () => {
    expect(toLuceneRegex(parseFilterRegex('^ÜBER[A-Z]\\d'), { fold: true })).toBe('über[A-Za-z][0-9].*');
  });
});
