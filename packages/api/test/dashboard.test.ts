// The dashboard's files as the API serves them: a strict Content-Security-Policy, nothing from elsewhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startApi, type TestApi } from './helpers.js';

let api: TestApi;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

describe('GET / and /ui/', () => {
  it('serves the page, its script and its styles under a CSP with no inline script and no other origin', async () => {
    for (const [path, type] of [['/', /^text\/html/], ['/ui/app.js', /^text\/javascript/], ['/ui/app.css', /^text\/css/]] as const) {
      const answer = await call(api.base, 'GET', path);
      expect(answer.status, path).toBe(200);
      expect(answer.headers.get('content-type'), path).toMatch(type);
      const csp = answer.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    }
  });

  it('the page has no inline script or style and names no other origin', async () => {
    const page = (await call(api.base, 'GET', '/')).text;
    expect(page).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(page).not.toMatch(/<style|\sstyle=/);
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//);
    const script = (await call(api.base, 'GET', '/ui/app.js')).text;
    // The bundle fetches nothing from another origin either (it may mention URLs in strings, not load them).
    expect(script).not.toMatch(/(import\(|from\s*)["']https?:/);
  });

  it('answers 304 to a revalidation with the same ETag', async () => {
    const first = await call(api.base, 'GET', '/ui/app.js');
    const etag = first.headers.get('etag') ?? '';
    expect(etag).not.toBe('');
    expect((await call(api.base, 'GET', '/ui/app.js', { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('refuses files that are not the page (400), and takes no query on them as a data route would', async () => {
    for (const path of ['/ui/index.html', '/ui/..%2fpackage.json', '/ui/app.js.map', '/ui/%2e%2e/etc/passwd']) {
      const answer = await call(api.base, 'GET', path);
      expect([400, 404], path).toContain(answer.status);
      expect(answer.body.error.code, path).toMatch(/invalid_request|not_found/);
    }
  });

  it('is listed in the OpenAPI document as needing no token', async () => {
    const doc = (await call(api.base, 'GET', '/openapi.json')).body;
    expect(doc.paths['/'].get.security).toEqual([]);
    expect(doc.paths['/ui/{file}'].get.security).toEqual([]);
  });
});
