import type { Parser } from '../parser.js';
import { parseCef } from './map.js';

/**
 * Generic ArcSight CEF (any vendor no vendor parser claimed first), mapped to ECS as Elastic's
 * `decode_cef` processor does; see {@link ./map.ts} for the key mapping and our own choices.
 */
export const cefParser: Parser = {
  id: 'cef',
  description: 'ArcSight Common Event Format (CEF:0/1), any vendor',
  // No program: a BSD header makes `CEF` the program of every CEF line, and routing by it would
  // put this generic parser before the vendor ones (Trend Micro Deep Security); matches() sees it.
  programs: [],
  timeResolution:
    'rt (else the syslog header or receive time): epoch ms/s, RFC 3339 with its offset, or "MMM dd [yyyy] HH:mm:ss[.SSS] [zone]"; a trailing zone name wins, else the source time zone; a missing year is inferred from the receive time.',
  matches(context) {
    return context.text.includes('CEF:') || context.syslog?.appName === 'CEF';
  },
  parse(context) {
    return parseCef(context, 'cef.log');
  },
};
