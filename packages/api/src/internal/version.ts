import { createRequire } from 'node:module';

// src/internal/ and dist/internal/ are both two levels below the package root.
const manifest = createRequire(import.meta.url)('../../package.json') as { version: string };

/** This package's version, for the OpenAPI document. */
export const VERSION = manifest.version;
