/** Plain-text aligned tables; colour is applied after padding so alignment never counts escape codes. */

export interface Cell {
  text: string;
  style?: (s: string) => string;
}

export type Align = 'left' | 'right';

function len(s: string): number {
  return [...s].length;
}

/**
 * Breaks `s` into lines of at most `width` characters: at spaces where it can, inside a word only
 * when the word alone is wider. Nothing is dropped: the lines hold every character of `s`
 * (newlines and tabs become spaces).
 */
export function wrap(s: string, width: number): string[] {
  const w = Math.max(1, width);
  const words = s.replace(/[\r\n\t]+/g, ' ').split(' ');
  const lines: string[] = [];
  let line = '';
  for (let word of words) {
    if (line !== '' && len(line) + 1 + len(word) <= w) {
      line += ` ${word}`;
      continue;
    }
    if (line !== '') lines.push(line);
    line = '';
    while (len(word) > w) {
      const chars = [...word];
      lines.push(chars.slice(0, w).join(''));
      word = chars.slice(w).join('');
    }
    line = word;
  }
  lines.push(line);
  return lines;
}

/**
 * Rows of cells, padded per column. When the table is wider than `width`, the widest column is
 * narrowed (one character at a time) and its cells wrap onto further lines: no value is ever cut.
 */
export function renderTable(rows: Cell[][], align: Align[], width: number, gap = 2): string[] {
  const cols = Math.max(0, ...rows.map((r) => r.length));
  const widths: number[] = [];
  for (let c = 0; c < cols; c++) widths.push(Math.max(0, ...rows.map((r) => len(r[c]?.text ?? ''))));
  const total = () => widths.reduce((a, b) => a + b, 0) + gap * Math.max(0, cols - 1);
  // The last column (the free-text detail) gives way first, down to a third of the width; then the
  // widest of the others, down to 12; then the widest of all, one character at a time.
  const lastFloor = Math.max(8, Math.floor(width / 3));
  while (cols > 1 && total() > width && widths[cols - 1]! > lastFloor) widths[cols - 1]!--;
  const others = () => widths.slice(0, -1);
  while (cols > 1 && total() > width && Math.max(...others()) > 12) widths[others().indexOf(Math.max(...others()))]!--;
  while (total() > width) {
    const widest = widths.indexOf(Math.max(...widths));
    if (widths[widest]! <= 4) break;
    widths[widest]!--;
  }
  const out: string[] = [];
  for (const row of rows) {
    const cells = widths.map((w, c) => wrap(row[c]?.text ?? '', w));
    const height = Math.max(1, ...cells.map((l) => l.length));
    for (let i = 0; i < height; i++) {
      const parts: string[] = [];
      for (let c = 0; c < cols; c++) {
        const w = widths[c]!;
        const text = cells[c]![i] ?? '';
        const pad = ' '.repeat(Math.max(0, w - len(text)));
        const aligned = align[c] === 'right' ? pad + text : c === cols - 1 ? text : text + pad;
        const style = row[c]?.style;
        parts.push(style && text !== '' ? style(aligned) : aligned);
      }
      out.push(parts.join(' '.repeat(gap)).trimEnd());
    }
  }
  return out;
}
