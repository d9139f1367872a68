/**
 * The hotq producer: an Express jobs HTTP API (`createApp`) and the `hotq-api` command.
 * @packageDocumentation
 */
export type { ApiErrorBody, ApiErrorCode } from './api-error.js';
export { createApp } from './create-app.js';
export type { CreateAppOptions, HotqApp } from './create-app-options.js';
