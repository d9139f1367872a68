// Guesses what format an item's bytes are in, to name the likely cause when a queue cannot decode
// them: the classic mistake is a producer and a consumer that disagree on the serializer (Python's
// hotqueue pickles unless told otherwise). A guess, only ever used in an error message.

/** What some bytes look like. */
export type Sniffed = { format: 'pickle'; protocol: number } | { format: 'json' } | { format: 'other' };

const PROTO = 0x80;
const STOP = 0x2e; // '.', the last opcode of every pickle

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A pickle of protocol 2 or later opens with PROTO n and ends with STOP; JSON parses as JSON. */
export function sniff(bytes: Buffer): Sniffed {
  const protocol = bytes[1] ?? 0;
  if (bytes.length >= 3 && bytes[0] === PROTO && protocol >= 2 && protocol <= 5 && bytes[bytes.length - 1] === STOP) {
    return { format: 'pickle', protocol };
  }
  try {
    JSON.parse(utf8.decode(bytes));
    return { format: 'json' };
  } catch {
    return { format: 'other' };
  }
}

/**
 * A sentence naming the likely cause when bytes that failed to decode look like another built-in
 * format than the one the queue reads (`reading`); empty when they do not.
 */
export function likelyCause(bytes: Buffer, reading: 'json' | 'pickle' | 'custom'): string {
  const found = sniff(bytes);
  if (found.format === 'pickle' && reading !== 'pickle') {
    return ` The bytes look like a Python pickle (protocol ${found.protocol}), which Python's hotqueue sends unless told otherwise: read this queue with serializer 'pickle', or give the producer serializer=json.`;
  }
  if (found.format === 'json' && reading !== 'json') {
    return " The bytes look like JSON (a producer with serializer=json): read this queue with serializer 'json'.";
  }
  return '';
}
