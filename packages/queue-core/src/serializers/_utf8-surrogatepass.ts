// Pickle stores str as UTF-8 with Python's "surrogatepass" error handler: a lone surrogate (legal
// in both a Python str and a JavaScript string) is written as its 3-byte form ED A0..BF xx, which
// strict UTF-8 refuses. These two functions keep such strings intact both ways; well-formed text
// takes the fast built-in path.
import { SerializationError } from '../errors.js';

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function encodeUtf8SurrogatePass(text: string): Buffer {
  if (!LONE_SURROGATE.test(text)) return Buffer.from(text, 'utf8');
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const point = text.codePointAt(i) as number;
    if (point > 0xffff) i++; // a well-formed pair: codePointAt read both halves
    if (point < 0x80) bytes.push(point);
    else if (point < 0x800) bytes.push(0xc0 | (point >> 6), 0x80 | (point & 0x3f));
    else if (point < 0x10000) bytes.push(0xe0 | (point >> 12), 0x80 | ((point >> 6) & 0x3f), 0x80 | (point & 0x3f));
    else bytes.push(0xf0 | (point >> 18), 0x80 | ((point >> 12) & 0x3f), 0x80 | ((point >> 6) & 0x3f), 0x80 | (point & 0x3f));
  }
  return Buffer.from(bytes);
}

export function decodeUtf8SurrogatePass(bytes: Uint8Array): string {
  try {
    return strict.decode(bytes);
  } catch {
    return decodeSlowly(bytes);
  }
}

function decodeSlowly(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  const continuation = (offset: number): number => {
    const byte = bytes[i + offset];
    if (byte === undefined || (byte & 0xc0) !== 0x80) {
      throw new SerializationError(`pickle: a str is not valid UTF-8 (byte ${i})`);
    }
    return byte & 0x3f;
  };
  while (i < bytes.length) {
    const lead = bytes[i] as number;
    let point: number;
    let size: number;
    if (lead < 0x80) [point, size] = [lead, 1];
    else if (lead >= 0xc2 && lead < 0xe0) [point, size] = [((lead & 0x1f) << 6) | continuation(1), 2];
    else if (lead >= 0xe0 && lead < 0xf0) [point, size] = [((lead & 0x0f) << 12) | (continuation(1) << 6) | continuation(2), 3];
    else if (lead >= 0xf0 && lead < 0xf5) {
      [point, size] = [((lead & 0x07) << 18) | (continuation(1) << 12) | (continuation(2) << 6) | continuation(3), 4];
    } else throw new SerializationError(`pickle: a str is not valid UTF-8 (byte ${i})`);
    // Overlong forms and values past U+10FFFF are refused; surrogates (U+D800..DFFF) are the point.
    const minimum = [0, 0, 0x80, 0x800, 0x10000][size] as number;
    if (point < minimum || point > 0x10ffff) throw new SerializationError(`pickle: a str is not valid UTF-8 (byte ${i})`);
    out += String.fromCodePoint(point);
    i += size;
  }
  return out;
}
