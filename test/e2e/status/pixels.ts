// Facts about a screenshot that a broken page would not have: its size, how many colours it
// uses, and where pixels of one exact colour lie (solid CSS borders keep their colour exactly).
import { PNG } from 'pngjs';

export interface Screenshot {
  width: number;
  height: number;
  /** Number of distinct RGB colours: 1 for a blank page, hundreds once text is drawn. */
  colours: number;
  /** Vertical runs of rows holding at least one pixel of `hex` (e.g. "#2e9d5b"), top to bottom. */
  bands(hex: string): Array<{ top: number; bottom: number }>;
  /** Pixels of dark, unsaturated ink (text, not the coloured markers) in rows top..bottom. */
  ink(top: number, bottom: number): number;
}

export function readScreenshot(png: Buffer): Screenshot {
  const image = PNG.sync.read(png);
  const { width, height, data } = image;
  const rgbAt = (i: number): number => (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
  const colours = new Set<number>();
  for (let i = 0; i < data.length; i += 4) colours.add(rgbAt(i));
  return {
    width,
    height,
    colours: colours.size,
    bands(hex) {
      const want = parseHex(hex);
      const rows: number[] = [];
      for (let y = 0; y < height; y += 1) {
        for (let x = 0; x < width; x += 1) {
          if (rgbAt((y * width + x) * 4) === want) {
            rows.push(y);
            break;
          }
        }
      }
      return runs(rows);
    },
    ink(top, bottom) {
      let count = 0;
      for (let y = Math.max(0, Math.ceil(top)); y <= Math.min(height - 1, Math.floor(bottom)); y += 1) {
        for (let x = 0; x < width; x += 1) if (isInk(data, (y * width + x) * 4)) count += 1;
      }
      return count;
    },
  };
}

function isInk(data: Buffer, i: number): boolean {
  const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
  return 0.299 * r + 0.587 * g + 0.114 * b < 128 && Math.max(r, g, b) - Math.min(r, g, b) < 60;
}

function parseHex(hex: string): number {
  if (!/^#[0-9a-f]{6}$/i.test(hex)) throw new Error(`colour must be written #rrggbb, got ${JSON.stringify(hex)}`);
  return Number.parseInt(hex.slice(1), 16);
}

function runs(rows: readonly number[]): Array<{ top: number; bottom: number }> {
  const out: Array<{ top: number; bottom: number }> = [];
  for (const y of rows) {
    const last = out.at(-1);
    if (last && last.bottom === y - 1) last.bottom = y;
    else out.push({ top: y, bottom: y });
  }
  return out;
}
