// Reads what Python's `json.dumps` writes. JSON.parse is close but not enough: Python writes NaN,
// Infinity and -Infinity, and its ints have no size limit (JSON.parse would round 2**64). So
// integers past 2^53 come back as BigInt, and `-0` as the integer 0 (Python's reading), while
// every float is a number. The parser is only used when JSON.parse could be wrong. It is
// recursive, so it stops at MAX_JSON_DEPTH; JSON.parse, which is not, has no such limit.
import { SerializationError } from '../errors.js';
import { MAX_JSON_DEPTH } from './_python-json-dumps.js';
import { setOwn } from './_set-own.js';

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

// Text without these is read exactly by JSON.parse: no NaN/Infinity, no integer of 16 digits
// or more (every 15-digit integer is a safe one), no integer -0.
const NEEDS_OWN_PARSER = /\d{16}|NaN|Infinity|-0(?![.eE\d])/;

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

function fail(message: string, at: number): never {
  throw new SerializationError(`json: ${message} at character ${at}`);
}

class Parser {
  private at = 0;

  constructor(private readonly text: string) {}

  parseDocument(): unknown {
    const value = this.value(0);
    this.skipSpace();
    if (this.at !== this.text.length) fail('extra data after the value', this.at);
    return value;
  }

  private skipSpace(): void {
    while (this.at < this.text.length && ' \t\n\r'.includes(this.text[this.at] as string)) this.at++;
  }

  private value(depth: number): unknown {
    if (depth > MAX_JSON_DEPTH) fail(`nesting deeper than ${MAX_JSON_DEPTH}`, this.at);
    this.skipSpace();
    const char = this.text[this.at];
    if (char === '{') return this.object(depth);
    if (char === '[') return this.array(depth);
    if (char === '"') return this.string();
    for (const [word, result] of [['null', null], ['true', true], ['false', false], ['NaN', NaN], ['Infinity', Infinity], ['-Infinity', -Infinity]] as const) {
      if (this.text.startsWith(word, this.at)) {
        this.at += word.length;
        return result;
      }
    }
    return this.number();
  }

  private number(): number | bigint {
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text);
    if (!match) fail('expected a value', this.at);
    this.at += match[0].length;
    if (match[1] !== undefined || match[2] !== undefined) return Number(match[0]);
    const asNumber = Number(match[0]);
    if (Number.isSafeInteger(asNumber)) return asNumber === 0 ? 0 : asNumber;
    return BigInt(match[0]);
  }

  private string(): string {
    const start = this.at;
    this.at++; // the opening quote
    let out = '';
    let plainFrom = this.at;
    for (;;) {
      if (this.at >= this.text.length) fail('unterminated string', start);
      const unit = this.text.charCodeAt(this.at);
      if (unit === 0x22) break;
      // Python's json.loads is strict by default: raw control characters are an error.
      if (unit < 0x20) fail('control character in a string', this.at);
      if (unit !== 0x5c) {
        this.at++;
        continue;
      }
      out += this.text.slice(plainFrom, this.at);
      const kind = this.text[this.at + 1] ?? '';
      if (kind === 'u') {
        const hex = this.text.slice(this.at + 2, this.at + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('invalid \\u escape', this.at);
        out += String.fromCharCode(parseInt(hex, 16));
        this.at += 6;
      } else {
        const escaped = ESCAPES[kind];
        if (escaped === undefined) fail('invalid escape', this.at);
        out += escaped;
        this.at += 2;
      }
      plainFrom = this.at;
    }
    out += this.text.slice(plainFrom, this.at);
    this.at++; // the closing quote
    return out;
  }

  private array(depth: number): unknown[] {
    this.at++;
    const items: unknown[] = [];
    this.skipSpace();
    if (this.text[this.at] === ']') {
      this.at++;
      return items;
    }
    for (;;) {
      items.push(this.value(depth + 1));
      this.skipSpace();
      const char = this.text[this.at++];
      if (char === ']') return items;
      if (char !== ',') fail("expected ',' or ']'", this.at - 1);
    }
  }

  private object(depth: number): Record<string, unknown> {
    this.at++;
    const result: Record<string, unknown> = {};
    this.skipSpace();
    if (this.text[this.at] === '}') {
      this.at++;
      return result;
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.at] !== '"') fail('expected a property name in double quotes', this.at);
      const key = this.string();
      this.skipSpace();
      if (this.text[this.at++] !== ':') fail("expected ':'", this.at - 1);
      setOwn(result, key, this.value(depth + 1));
      this.skipSpace();
      const char = this.text[this.at++];
      if (char === '}') return result;
      if (char !== ',') fail("expected ',' or '}'", this.at - 1);
    }
  }
}

/** Decodes the UTF-8 bytes of one JSON document as Python's json.loads reads them. */
export function pythonJsonLoads(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = decoder.decode(bytes); // a leading UTF-8 BOM is dropped, as json.loads does for bytes
  } catch (error) {
    throw new SerializationError('json: the bytes are not valid UTF-8', { cause: error });
  }
  if (!NEEDS_OWN_PARSER.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // Fall through: our parser names the position without quoting the payload, as V8's does.
    }
  }
  return new Parser(text).parseDocument();
}
