/** The most rows an export holds (what the view has loaded, up to this). */
export const CSV_ROW_CAP = 10_000;

// A spreadsheet runs a cell that starts with one of these as a formula; log lines are attacker text.
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV cell (RFC 4180): quoted when it holds a quote, comma, CR or LF, quotes doubled. Text
 * that a spreadsheet would take for a formula gets a leading `'` unless `defuse` is false (CSV
 * injection, OWASP).
 */
export function csvCell(value: unknown, defuse = true): string {
  let text = value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (defuse && typeof value === 'string' && FORMULA_START.test(text) && !/^-?\d+(\.\d+)?$/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows of named values as CSV: a header line, then one line per row, CRLF line ends. */
export function toCsv(columns: readonly string[], rows: readonly Readonly<Record<string, unknown>>[]): string {
  // Header cells are field names (`@timestamp`), not attacker text.
  const lines = [columns.map((column) => csvCell(column, false)).join(',')];
  for (const row of rows.slice(0, CSV_ROW_CAP)) lines.push(columns.map((column) => csvCell(row[column])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** Offers `text` as a file download. */
export function download(filename: string, text: string, type = 'text/csv;charset=utf-8'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = filename;
  document.body.appendChild(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
