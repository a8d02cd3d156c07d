import { describe, expect, it } from 'vitest';
import { compileExclude, compileGlob } from './glob.js';

describe('globs', () => {
  it('compiles *, ?, **, classes and braces', () => {
    const glob = compileGlob('/var/log/**/app-?.{log,txt}');
    expect(glob.base).toBe('/var/log');
    expect(glob.maxDepth).toBeUndefined();
    expect(glob.regex.test('/var/log/app-1.log')).toBe(true);
    expect(glob.regex.test('/var/log/a/b/app-2.txt')).toBe(true);
    expect(glob.regex.test('/var/log/a/app-22.log')).toBe(false);
    const star = compileGlob('/var/log/nginx/*.log*');
    expect(star).toMatchObject({ base: '/var/log/nginx', maxDepth: 0 });
    expect(star.regex.test('/var/log/nginx/access.log.1')).toBe(true);
    expect(star.regex.test('/var/log/nginx/sub/access.log')).toBe(false);
    expect(compileGlob('/x/[!a]*.log').regex.test('/x/b.log')).toBe(true);
    expect(compileGlob('/x/[!a]*.log').regex.test('/x/a.log')).toBe(false);
  });

  it('watches the directory of a plain file', () => {
    expect(compileGlob('/var/log/auth.log')).toMatchObject({ base: '/var/log', maxDepth: 0 });
    expect(compileGlob('/var/log/auth.log').regex.test('/var/log/auth.log.1')).toBe(false);
  });

  it('matches an exclude without / against the base name', () => {
    expect(compileExclude('*.gz')('/var/log/a/syslog.2.gz')).toBe(true);
    expect(compileExclude('/var/log/a/*')('/var/log/b/x')).toBe(false);
  });
});
