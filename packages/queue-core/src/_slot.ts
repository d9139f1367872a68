// Redis Cluster's hash slot of a hash tag: CRC16 (XMODEM) modulo 16384, the function Redis runs
// (CLUSTER KEYSLOT), so that a partition's tag can be chosen for the slot it lands on.

/** The number of hash slots of a Redis Cluster. */
export const SLOTS = 16_384;

const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte += 1) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

/** The slot of a key whose hash tag is `tag`, an ASCII string (prefixes and queue names are). */
export function tagSlot(tag: string): number {
  let crc = 0;
  for (let index = 0; index < tag.length; index += 1) {
    crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ tag.charCodeAt(index)) & 0xff] as number);
  }
  return crc % SLOTS;
}
