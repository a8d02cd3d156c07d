import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './log.js';

describe('createLogger', () => {
  it('redacts secrets from config, credentials and headers wherever the paths name them', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ level: 'info', destination });
    logger.info(
      {
        password: 'p1-secret-value',
        config: { auth: { oidc: { clientSecret: 'p2-secret-value', issuer: 'https://idp.example' } } },
        user: { passwordHash: 'scrypt$p3-secret-value' },
        req: { headers: { authorization: 'Bearer p4-secret-value', cookie: 'wp_session=p5-secret-value' } },
      },
      'hello',
    );
    const text = lines.join('');
    expect(text).toContain('https://idp.example');
    for (let i = 1; i <= 5; i++) expect(text).not.toContain(`p${i}-secret-value`);
  });
});
