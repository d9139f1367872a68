import { createApp } from '@hotq/api';
import { Redis } from 'ioredis';
import type { AddressInfo } from 'node:net';
import type { OpenApiDocument } from './openapi-types.js';

/**
 * The OpenAPI document exactly as the API serves it: an app from `createApp` on the given Redis,
 * listening on a free loopback port, asked for GET /openapi.json. Nothing is written to Redis.
 */
export async function fetchOpenApiDocument(redisUrl: string): Promise<OpenApiDocument> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const app = createApp({ redis });
  const server = app.listen(0, '127.0.0.1');
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/openapi.json`);
    if (response.status !== 200) throw new Error(`GET /openapi.json answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as OpenApiDocument;
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await app.close();
    redis.disconnect();
  }
}
