import { apacheParser } from '../apache/parser.js';
import { linuxAuthParser } from '../linux-auth/parser.js';
import { nginxParser } from '../nginx/parser.js';
import type { Parser } from '../parser.js';

/**
 * The Linux auth and web server parsers, in routing order. nginx and Apache write the same
 * combined access format: a line from neither's syslog program goes to nginx unless the source
 * names `format: apache` (the event then says nginx.access; the fields are the same).
 */
export const ACCESS_PARSERS: readonly Parser[] = [linuxAuthParser, nginxParser, apacheParser];
