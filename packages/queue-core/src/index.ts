/**
 * Redis queue primitives: HotQueue (compatible with Python hotqueue) and TaskQueue (reliable delivery with leases).
 * @packageDocumentation
 */
export {};
