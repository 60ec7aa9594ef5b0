/** Plain-text aligned tables; colour is applied after padding so alignment never counts escape codes. */

export interface Cell {
  text: string;
  style?: (s: string) => string;
}

export type Align = 'left' | 'right';

/** Cut to `max` characters with an ellipsis; newlines become spaces (one row per line). */
export function fit(s: string, max: number): string {
  const flat = s.replace(/[\r\n\t]+/g, ' ');
  const chars = [...flat];
  if (chars.length <= max) return flat;
  if (max <= 1) return chars.slice(0, Math.max(0, max)).join('');
  return `${chars.slice(0, max - 1).join('')}…`;
}

function len(s: string): number {
  return [...s].length;
}

/**
 * Rows of cells, padded per column. When the table is wider than `width`, the last column
 * is cut to fit (it holds the free-text detail).
 */
export function renderTable(rows: Cell[][], align: Align[], width: number, gap = 2): string[] {
  const cols = Math.max(0, ...rows.map((r) => r.length));
  const widths: number[] = [];
  for (let c = 0; c < cols; c++) widths.push(Math.max(0, ...rows.map((r) => len(r[c]?.text ?? ''))));
  const fixed = widths.slice(0, -1).reduce((a, b) => a + b + gap, 0);
  const lastMax = Math.max(8, width - fixed);
  if (cols > 0 && widths[cols - 1]! > lastMax) widths[cols - 1] = lastMax;
  // Still too wide (narrow terminal): narrow the widest column, one character at a time.
  const total = () => widths.reduce((a, b) => a + b, 0) + gap * Math.max(0, cols - 1);
  while (total() > width) {
    const widest = widths.indexOf(Math.max(...widths));
    if (widths[widest]! <= 4) break;
    widths[widest]!--;
  }
  return rows.map((row) => {
    const parts: string[] = [];
    for (let c = 0; c < cols; c++) {
      const cell = row[c] ?? { text: '' };
      const w = widths[c]!;
      const text = fit(cell.text, w);
      const pad = ' '.repeat(Math.max(0, w - len(text)));
      const aligned = align[c] === 'right' ? pad + text : c === cols - 1 ? text : text + pad;
      parts.push(cell.style ? cell.style(aligned) : aligned);
    }
    return parts.join(' '.repeat(gap)).trimEnd();
  });
}
