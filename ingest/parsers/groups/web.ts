import { haproxyParser } from '../haproxy/parser.js';
import { iisParser } from '../iis/parser.js';
import type { Parser } from '../parser.js';
import { squidParser } from '../squid/parser.js';

/** The web proxy, load-balancer and IIS parsers, in routing order. */
export const WEB_PARSERS: readonly Parser[] = [haproxyParser, squidParser, iisParser];
