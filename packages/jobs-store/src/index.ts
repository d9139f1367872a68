/**
 * Job records on Redis: an atomic, fenced lifecycle, queries, results, events and retention.
 * @packageDocumentation
 */
export {};
