// Minimal CSV reading for our plain numeric files: a header, then comma-separated rows.
import { InputError } from './inputError.js';

export interface CsvRow {
  /** 1-based line number in the file, for error messages. */
  line: number;
  text: string;
  cell(column: string): string | undefined;
}

export function readCsvRows(text: string, what: string, required: readonly string[]): { header: string[]; rows: CsvRow[] } {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length > 0) {
    throw new InputError(`${what}: header must include ${required.join(',')}; missing ${missing.join(',')} in: ${(lines[0] ?? '').slice(0, 120) || '(empty file)'}`);
  }
  const index = new Map(header.map((h, i) => [h, i]));
  const rows: CsvRow[] = [];
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.trim() === '') continue;
    const cells = line.split(',');
    rows.push({
      line: n + 1,
      text: line,
      cell: (column) => {
        const i = index.get(column);
        return i === undefined ? undefined : cells[i]?.trim();
      },
    });
  }
  return { header, rows };
}
