import { describe, expect, inject, it } from 'vitest';
import { renderHttpReference } from '../src/http-reference.js';
import { fetchOpenApiDocument } from '../src/openapi-document.js';
import type { OpenApiDocument } from '../src/openapi-types.js';

describe('the HTTP reference', () => {
  it('has every route, every error code and every schema of the real document, and renders it the same twice', async () => {
    const document = await fetchOpenApiDocument(inject('redisUrl'));
    const markdown = renderHttpReference(document);
    expect(renderHttpReference(structuredClone(document))).toBe(markdown);

    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of Object.keys(item)) {
        expect(markdown, `${method} ${path}`).toContain(`\n### ${method.toUpperCase()} ${path}\n`);
        for (const status of Object.keys(item[method]?.responses ?? {})) {
          expect(markdown, `${method} ${path} ${status}`).toMatch(new RegExp(`### ${method.toUpperCase()} ${path.replace(/[{}.]/g, '\\$&')}\\n[\\s\\S]*?\\n\\| ${status} \\|`));
        }
      }
    }
    for (const code of ['invalid_request', 'unauthorized', 'forbidden', 'not_found', 'conflict', 'payload_too_large', 'unsupported_media_type', 'redis_unavailable']) {
      expect(markdown).toMatch(new RegExp(`\\n\\| \`${code}\` \\| \\d{3}`));
    }
    for (const name of Object.keys(document.components?.schemas ?? {})) {
      expect(markdown).toContain(`<a id="schema-${name.toLowerCase()}"></a>\n\n### ${name}\n`);
    }
    // The submit body's fields, with their rules, as the API validates them.
    expect(markdown).toContain('| `maxAttempts` | integer | no | 1 to 100 | Attempts before the job fails for good. Default 3. |');
    expect(markdown).toContain('Routes that never need a token: GET `/healthz`, GET `/readyz`, GET `/`, GET `/ui/{file}`.');
  });

  it('keeps table cells on one line and escapes pipes', () => {
    const document: OpenApiDocument = {
      openapi: '3.1.0',
      info: { title: 'T', version: '1' },
      paths: {
        '/x': {
          get: {
            summary: 'X',
            parameters: [{ in: 'query', name: 'q', description: 'a | b\nc', schema: { type: 'string', enum: ['a', 'b'] } }],
            responses: { '200': { description: 'ok' } },
          },
        },
      },
    };
    const markdown = renderHttpReference(document);
    expect(markdown).toContain('| `q` | query | `"a"` \\| `"b"` | no |  | a \\| b c |');
    expect(markdown).toContain('| 200 | ok | no body |');
    expect(markdown).toContain('Routes that never need a token: GET `/x`.');
    expect(markdown).not.toContain('## Errors'); // the document has no Error schema
  });
});
