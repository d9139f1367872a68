import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

/**
 * helmet's default security headers on every answer. helmet's defaults do not depend on the
 * request, so its middleware runs once, here, against a recorder; each request then gets the
 * recorded headers in one loop instead of helmet's chain of a dozen middlewares (a visible share of
 * the CPU a submission costs). Returns the function that sets them on an answer; the app calls it
 * from its first middleware, so that they cost no dispatch of their own.
 */
export function securityHeaders(): (res: ServerResponse) => void {
  const headers: Array<[string, string]> = [];
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.push([name, Array.isArray(value) ? value.join(', ') : String(value)]);
    },
    removeHeader() {
      // helmet removes X-Powered-By, which the app never sets.
    },
  };
  let finished = false;
  helmet()({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error instanceof Error ? error : new Error(String(error));
    finished = true;
  });
  // helmet's defaults are synchronous; a version that is not would leave answers without headers.
  if (!finished || headers.length === 0) throw new Error('helmet did not set its headers synchronously');
  return (res) => {
    for (const [name, value] of headers) res.setHeader(name, value);
  };
}
