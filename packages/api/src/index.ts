/**
 * The hotq producer: an Express jobs HTTP API and the hotq-api command.
 * @packageDocumentation
 */
export {};
