import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import type * as z from 'zod';
import { internalErrorResponse, OPERATIONS, type Operation } from './operations.js';

/** Express `/jobs/:id` to OpenAPI `/jobs/{id}`. */
const toOpenApiPath = (path: string): string => path.replace(/:([A-Za-z_]+)/g, '{$1}');

function toOperation(operation: Operation): ZodOpenApiOperationObject {
  const requestParams: { path?: z.ZodObject; query?: z.ZodObject } = {};
  if (operation.params) requestParams.path = operation.params as z.ZodObject;
  if (operation.query) requestParams.query = operation.query as z.ZodObject;
  return {
    operationId: operation.operationId,
    summary: operation.summary,
    ...(operation.description ? { description: operation.description } : {}),
    ...(operation.public ? { security: [] } : {}),
    ...(operation.params || operation.query ? { requestParams } : {}),
    ...(operation.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: operation.body } } } }
      : {}),
    responses: { ...operation.responses, 500: internalErrorResponse },
  };
}

/**
 * The OpenAPI 3.1 document of the route table, rendered from the same zod schemas that validate
 * requests. Routes that need no token say so with an empty `security`.
 */
export function buildOpenApiDocument(version: string): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  for (const operation of OPERATIONS) {
    const path = toOpenApiPath(operation.path);
    paths[path] = { ...paths[path], [operation.method]: toOperation(operation) };
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'hotq jobs API',
      version,
      license: { name: 'MIT', identifier: 'MIT' },
      description:
        'Submit jobs, follow them, read their results. Errors are `{ error: { code, message, details? } }`. '
        + 'When the server has a token, every route but /healthz, /readyz and the dashboard\'s files (/ and /ui/) needs `Authorization: Bearer <token>`; '
        + 'a read-only token may use GET routes only.',
    },
    // Where hotq-api listens by default (HOST and PORT); a client sets the variables to its own.
    servers: [{
      url: 'http://{host}:{port}',
      description: 'A hotq-api process (HOST and PORT; https when a proxy in front terminates TLS).',
      variables: {
        host: { default: '127.0.0.1', description: 'HOST of hotq-api.' },
        port: { default: '3000', description: 'PORT of hotq-api.' },
      },
    }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'HOTQ_API_TOKEN, or HOTQ_API_READ_TOKEN for GET routes.' },
      },
    },
    security: [{ bearer: [] }],
    paths,
  });
}
