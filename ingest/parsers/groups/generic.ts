import { cefParser } from '../cef/parser.js';
import { jsonParser } from '../json/parser.js';
import { kvParser } from '../kv/parser.js';
import { leefParser } from '../leef/parser.js';
import type { Parser } from '../parser.js';

/** The generic parsers, in routing order. */
export const GENERIC_PARSERS: readonly Parser[] = [cefParser, leefParser, jsonParser, kvParser];
