// A bounds-checked cursor over the bytes of one pickle. Every length read from the data is checked
// against what is left before anything is allocated, so a hostile length cannot exhaust memory.
import { SerializationError } from '../errors.js';

export class PickleReader {
  private at = 0;

  constructor(private readonly bytes: Buffer) {}

  /** Offset of the next byte, for error messages. */
  get position(): number {
    return this.at;
  }

  private take(count: number | bigint, what: string): number {
    const left = this.bytes.length - this.at;
    if (count > left) {
      throw new SerializationError(`pickle is truncated: ${what} needs ${count} bytes at offset ${this.at}, ${left} left`);
    }
    const start = this.at;
    this.at += Number(count);
    return start;
  }

  uint8(what: string): number {
    return this.bytes[this.take(1, what)] as number;
  }

  uint16(what: string): number {
    return this.bytes.readUInt16LE(this.take(2, what));
  }

  uint32(what: string): number {
    return this.bytes.readUInt32LE(this.take(4, what));
  }

  int32(what: string): number {
    return this.bytes.readInt32LE(this.take(4, what));
  }

  uint64(what: string): bigint {
    return this.bytes.readBigUInt64LE(this.take(8, what));
  }

  float64BE(what: string): number {
    return this.bytes.readDoubleBE(this.take(8, what));
  }

  /** A view (no copy) of the next `count` bytes. */
  slice(count: number | bigint, what: string): Buffer {
    const start = this.take(count, what);
    return this.bytes.subarray(start, this.at);
  }

  /** Bytes up to (not including) the next newline, which is consumed: GLOBAL's arguments. */
  line(what: string): string {
    const end = this.bytes.indexOf(0x0a, this.at);
    if (end < 0) throw new SerializationError(`pickle is truncated: ${what} has no end of line at offset ${this.at}`);
    const text = this.bytes.toString('latin1', this.at, end);
    this.at = end + 1;
    return text;
  }
}
