/**
 * Text semantics shared by every compiler of the filter AST: how case is folded and how the
 * `text` op splits a message into words. Both follow what Elasticsearch's `standard` analyzer
 * does, so the SQL and JS compilers give the results the Query DSL compiler gets.
 */

// The two characters whose full lower-casing (what String#toLowerCase does) differs from the
// simple lower-casing Lucene and the filter AST use: İ → "i̇" (two code points) and final-sigma Σ → ς.
const FULL_FOLD_EXCEPTIONS = /[\u0130\u03a3]/;

/** Unicode simple lower-casing (per code point), as Lucene's LowerCaseFilter does. */
export function foldCase(value: string): string {
  if (!FULL_FOLD_EXCEPTIONS.test(value)) return value.toLowerCase();
  return value.replace(/\u0130/g, 'i').replace(/\u03a3/g, '\u03c3').toLowerCase();
}

const SEGMENTER = new Intl.Segmenter('en', { granularity: 'word' });
// Lucene's StandardTokenizer emits each ideograph and hiragana character as its own token,
// where ICU's word segmentation uses a dictionary; split those to match.
const IDEOGRAPHIC = /[\p{Script=Han}\p{Script=Hiragana}]/u;
const IDEOGRAPHIC_SPLIT = /([\p{Script=Han}\p{Script=Hiragana}])/u;

/**
 * The words of a text, case-folded, in order: Unicode (UAX #29) word segmentation, as the
 * `standard` analyzer does — `203.0.113.7`, `user_name`, `foo.bar` and `don't` are one word each,
 * `jdoe@example.com` is `jdoe` and `example.com`.
 */
export function textWords(value: string): string[] {
  const words: string[] = [];
  for (const segment of SEGMENTER.segment(value)) {
    if (!segment.isWordLike) continue;
    const word = foldCase(segment.segment);
    if (!IDEOGRAPHIC.test(word)) {
      words.push(word);
      continue;
    }
    for (const part of word.split(IDEOGRAPHIC_SPLIT)) if (part !== '') words.push(part);
  }
  return words;
}
