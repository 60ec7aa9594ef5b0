/** Escaping for every output format the report is written in. */

/** Characters XML 1.0 cannot carry at all (not even escaped) are dropped. */
const XML_INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

export function escapeXml(s: string): string {
  return s.replace(XML_INVALID, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * A Markdown table cell: pipes and newlines would break the row, and inline HTML would be
 * rendered by most viewers, so both are neutralised; emphasis and link characters are escaped.
 */
export function escapeMarkdownCell(s: string): string {
  return s
    .replace(/\r\n|\r|\n/g, ' ')
    .replace(/[\\`*_[\]|#]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/**
 * One RFC 4180 field. Values a spreadsheet would run as a formula (leading = + - @, or a
 * tab/CR that some apps strip first) get a leading apostrophe (OWASP CSV injection advice);
 * fields with a comma, quote or line break are quoted with inner quotes doubled.
 */
export function csvField(value: string | undefined): string {
  let v = value ?? '';
  if (/^[=+\-@\t\r]/.test(v)) v = `'${v}`;
  if (/[",\r\n]/.test(v)) v = `"${v.replace(/"/g, '""')}"`;
  return v;
}

export function csvRow(fields: (string | undefined)[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}
