import { describe, expect, it } from 'vitest';
import { parseSyslog } from './parse.js';

const OPTIONS = { receivedAt: Date.parse('2026-11-24T10:00:00Z'), timezone: 'UTC' };
const parse = (text: string | Buffer) => parseSyslog(text, OPTIONS);

describe('parseSyslog: PRI', () => {
  it('splits the priority into facility and severity', () => {
    expect(parse('<165>1 - - - - - -')).toMatchObject({ priority: 165, facility: 20, severity: 5 });
    expect(parse('<0>Nov 24 09:30:01 h a: x')).toMatchObject({ priority: 0, facility: 0, severity: 0 });
  });

  it('flags a PRI out of range or too long, and keeps parsing after it', () => {
    for (const pri of ['<192>', '<1000>', '<12345678>']) {
      const message = parse(`${pri}Nov 24 09:30:01 web01 app: x`);
      expect(message.priority).toBeUndefined();
      expect(message.anomalies).toContain('bad_pri');
      expect(message).toMatchObject({ hostname: 'web01', appName: 'app', message: 'x' });
    }
  });

  it('does not read past ten digits looking for the end of a PRI', () => {
    expect(parse('<99999999999999999999>Nov 24 09:30:01 web01 app: x')).toMatchObject({ format: 'unknown', anomalies: ['bad_pri'] });
  });

  it('leaves a line that only starts with < alone', () => {
    expect(parse('<html>hello</html>')).toEqual({ format: 'unknown', message: '<html>hello</html>', anomalies: [] });
  });
});

describe('parseSyslog: RFC 3164 hostname and tag', () => {
  it.each([
    ['<13>Oct 11 22:14:15 su: msg', undefined, 'su', undefined, 'msg'],
    ['<13>Oct 11 22:14:15 sshd[42]: msg', undefined, 'sshd', '42', 'msg'],
    ['<13>Oct 11 22:14:15 host su: msg', 'host', 'su', undefined, 'msg'],
    ['<13>Oct 11 22:14:15 host su msg', 'host', 'su', undefined, 'msg'],
    ['<13>Oct 11 22:14:15 host sshd(pam_unix)[12750]: msg', 'host', 'sshd(pam_unix)', '12750', 'msg'],
    ['<13>Oct 11 22:14:15 host postfix/smtpd[7]: msg', 'host', 'postfix/smtpd', '7', 'msg'],
    ['<13>Oct 11 22:14:15 host app:msg', 'host', 'app', undefined, 'msg'],
    ['<13>Oct 11 22:14:15 host kernel: [  12.345] usb 1-1', 'host', 'kernel', undefined, '[  12.345] usb 1-1'],
    ['<13>Oct 11 22:14:15 host [audit] x', 'host', undefined, undefined, '[audit] x'],
    ['<13>Oct 11 22:14:15 host', 'host', undefined, undefined, ''],
    ['<13>Oct 11 22:14:15 ', undefined, undefined, undefined, ''],
    ['<13>Oct 11 22:14:15 fe80::1 app: v6 host', 'fe80::1', 'app', undefined, 'v6 host'],
    ['<13>Oct 11 22:14:15 - app: dash host', undefined, 'app', undefined, 'dash host'],
  ])('%s', (line, hostname, appName, procId, message) => {
    const parsed = parse(line);
    expect(parsed.format).toBe('rfc3164');
    expect(parsed.hostname).toBe(hostname);
    expect(parsed.appName).toBe(appName);
    expect(parsed.procId).toBe(procId);
    expect(parsed.message).toBe(message);
    expect(parsed.anomalies.includes('no_hostname')).toBe(hostname === undefined);
  });

  it('ends the tag at a tab (Snare) and drops the tab', () => {
    const parsed = parse('<141>Mar 10 09:30:20 zuse MSWinEventLog\t1\tSecurity\t563');
    expect(parsed).toMatchObject({ hostname: 'zuse', appName: 'MSWinEventLog', message: '1\tSecurity\t563' });
  });

  it('accepts a leading space before the date and a colon after it', () => {
    expect(parse('<38> Mar  7 19:06:53 example tag: m')).toMatchObject({ hostname: 'example', appName: 'tag', timestamp: '2026-03-07T19:06:53.000Z' });
    expect(parse('<38>Mar 7 2008 19:06:53: example tag: m')).toMatchObject({ hostname: 'example', appName: 'tag', timestamp: '2008-03-07T19:06:53.000Z' });
  });
});

describe('parseSyslog: decoding', () => {
  it('gives the same result for a Buffer and the same text as a string', () => {
    const line = '<38>Nov 24 09:30:01 web01 sshd[4242]: Accepted publickey for déploy';
    expect(parse(Buffer.from(line, 'utf8'))).toEqual(parse(line));
  });

  it('strips exactly one trailing LF or CRLF', () => {
    expect(parse('<14>Nov 24 09:30:01 h a: x\n').message).toBe('x');
    expect(parse('<14>Nov 24 09:30:01 h a: x\r\n').message).toBe('x');
    expect(parse('<14>Nov 24 09:30:01 h a: x\n\n').message).toBe('x\n');
  });

  it('replaces NUL bytes and invalid UTF-8 and says so', () => {
    const parsed = parse(Buffer.concat([Buffer.from('<14>Nov 24 09:30:01 h a: x'), Buffer.from([0x00, 0xff]), Buffer.from('y')]));
    expect(parsed.message).toBe('x\uFFFD\uFFFDy');
    expect(parsed.anomalies).toEqual(expect.arrayContaining(['invalid_utf8', 'nul_bytes']));
  });

  it('strips the BOM before an RFC 5424 MSG', () => {
    const parsed = parse(Buffer.concat([Buffer.from('<14>1 - h a - - - '), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('text')]));
    expect(parsed.message).toBe('text');
    expect(parsed.anomalies).toEqual([]);
  });
});

describe('parseSyslog: RFC 5424 structured data', () => {
  it('keeps __proto__ as data, never as a prototype', () => {
    const parsed = parse('<14>1 - h a - - [__proto__ polluted="yes"][x@1 __proto__="v"] m');
    expect(Object.keys(parsed.structuredData ?? {})).toEqual(['__proto__', 'x@1']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(parsed.structuredData?.['x@1'], '__proto__')?.value).toBe('v');
  });

  it('keeps the first of repeated SD-IDs and flags the repeat', () => {
    const parsed = parse('<14>1 - h a - - [a@1 x="1"][a@1 x="2"] m');
    expect(parsed.structuredData).toEqual({ 'a@1': { x: '1' } });
    expect(parsed.anomalies).toContain('bad_structured_data');
  });

  it('keeps an unparseable element in the message', () => {
    for (const sd of ['[a@1 x=1]', '[a@1 x="1"', '[ x="1"]', '[a@1 ="1"]', 'garbage']) {
      const parsed = parse(`<14>1 - h a - - ${sd} m`);
      expect(parsed.structuredData).toBeUndefined();
      expect(parsed.message).toBe(`${sd} m`);
      expect(parsed.anomalies).toContain('bad_structured_data');
    }
  });
});

describe('parseSyslog: what is not syslog', () => {
  it.each([
    '192.0.2.1 - - [24/Nov/2026:09:00:00 +0100] "GET / HTTP/1.1" 200 12',
    '2026-11-24T09:00:00Z INFO server started',
    '{"level":"info","msg":"json line"}',
    'level=info msg="logfmt line"',
    '',
  ])('%j is format unknown with the whole text as message', (line) => {
    expect(parse(line)).toEqual({ format: 'unknown', message: line, anomalies: [] });
  });
});
