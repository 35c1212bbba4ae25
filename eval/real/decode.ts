/**
 * Media of the real-footage set that is not in a picture format: scipy's `ascent.dat` is a Python
 * pickle of 512 rows of 8-bit grey values (a list of lists of ints). The eval writes the same pixels
 * as a PNG before redacting it — a lossless change of container, not of the picture. Only the
 * opcodes such a pickle uses are read; anything else is refused.
 */
import sharp from 'sharp';

export interface Grey {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Reads a pickled list of equal-length lists of ints 0..255 (protocols 2–5, as `pickle.dump` writes them). */
export function unpickleGreyRows(buf: Uint8Array): Grey {
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo: unknown[] = [];
  let i = 0;
  const u8 = () => buf[i++]!;
  const u32 = () => {
    const v = buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
    i += 4;
    return v >>> 0;
  };
  for (;;) {
    if (i >= buf.length) throw new Error('pickle: ends without STOP');
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        u8();
        break;
      case 0x95: // FRAME
        i += 8;
        break;
      case 0x5d: // EMPTY_LIST ']'
        stack.push([]);
        break;
      case 0x28: // MARK '('
        marks.push(stack.length);
        break;
      case 0x71: // BINPUT 'q'
        memo[u8()] = stack.at(-1);
        break;
      case 0x72: // LONG_BINPUT 'r'
        memo[u32()] = stack.at(-1);
        break;
      case 0x94: // MEMOIZE
        memo.push(stack.at(-1));
        break;
      case 0x4b: // BININT1 'K'
        stack.push(u8());
        break;
      case 0x4d: // BININT2 'M'
        stack.push(u8() | (u8() << 8));
        break;
      case 0x65: {
        // APPENDS 'e'
        const m = marks.pop();
        if (m === undefined) throw new Error('pickle: APPENDS without MARK');
        const items = stack.splice(m);
        (stack.at(-1) as unknown[]).push(...items);
        break;
      }
      case 0x61: {
        // APPEND 'a'
        const v = stack.pop();
        (stack.at(-1) as unknown[]).push(v);
        break;
      }
      case 0x2e: {
        // STOP '.'
        const rows = stack.pop();
        if (!Array.isArray(rows) || !rows.length || !rows.every((r) => Array.isArray(r))) throw new Error('pickle: not a list of rows');
        const width = (rows[0] as unknown[]).length;
        const height = rows.length;
        const data = new Uint8Array(width * height);
        rows.forEach((r: unknown[], y) => {
          if (r.length !== width) throw new Error(`pickle: row ${y} has ${r.length} values, row 0 has ${width}`);
          r.forEach((v, x) => {
            if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) throw new Error(`pickle: value at ${x},${y} is not 0..255`);
            data[y * width + x] = v;
          });
        });
        return { width, height, data };
      }
      default:
        throw new Error(`pickle: opcode 0x${op.toString(16)} at byte ${i - 1} is not read here`);
    }
  }
}

/** Writes a pickled grey picture as an 8-bit grey PNG. */
export async function pickleToPng(buf: Uint8Array, output: string): Promise<Grey> {
  const g = unpickleGreyRows(buf);
  await sharp(g.data, { raw: { width: g.width, height: g.height, channels: 1 } }).toColourspace('b-w').png().toFile(output);
  return g;
}
