/**
 * The hotq consumer runtime and the hotq-worker command.
 * @packageDocumentation
 */
export {};
