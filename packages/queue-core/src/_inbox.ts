// The hand-off from a put to a consumer blocked waiting for work (commands/_lib.lua, hand_off): the
// consumer registers a waiter entry with the reserve call that found nothing, then blocks on its
// inbox as well as on the wake list, and the put leases messages to it and pushes them to the inbox.

/**
 * The waiter entry a reserve call registers: its slot (the call's token prefix, unique) first, the
 * consumer last because a consumer name may hold any character.
 */
export function waiterEntry(slot: string, count: number, leaseMs: number, consumer: string): string {
  return `${slot}\n${count}\n${leaseMs}\n${consumer}`;
}

/** The inbox list of the waiter with `slot`. */
export function inboxKey(base: string, slot: string): string {
  return `${base}:inbox:${slot}`;
}

/**
 * The fields of one inbox item, framed as `<byte length>:<bytes>` (lengths count bytes, hence the
 * Buffer): five per message, as reserve returns them (id, payload, attempt, max attempts, token).
 * No item, or the empty item that only ends a wait, holds none.
 */
export function unframe(item: Buffer | null): string[] {
  const fields: string[] = [];
  if (item === null) return fields;
  let position = 0;
  while (position < item.length) {
    const colon = item.indexOf(0x3a, position);
    if (colon < 0) throw new Error('an inbox item ends in the middle of a field');
    const start = colon + 1;
    const end = start + Number(item.toString('latin1', position, colon));
    fields.push(item.toString('utf8', start, end));
    position = end;
  }
  return fields;
}
