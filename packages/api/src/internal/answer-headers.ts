import { ServerResponse, type IncomingMessage } from 'node:http';
import helmet from 'helmet';

/**
 * helmet's default security headers, as a flat list of names and values. helmet's defaults do not
 * depend on the request, so its middleware runs once, here, against a recorder, instead of its chain
 * of a dozen middlewares on every request (a visible share of the CPU a submission costs).
 */
function recordHelmetDefaults(): readonly string[] {
  const headers: string[] = [];
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.push(name, Array.isArray(value) ? value.join(', ') : String(value));
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
  return headers;
}

const SECURITY_HEADERS = recordHelmetDefaults();
const writeHeadOfNode = ServerResponse.prototype.writeHead;

/** An answer of an Express app: `locals` is its own per request. */
type Answer = ServerResponse & { locals?: Record<string, unknown> };

/**
 * Names the id an answer will carry in its `X-Request-Id` header. Kept in `res.locals` (an object
 * Express makes for every request anyway): a new property on the response itself would grow its
 * backing store, a copy of a kilobyte and more per request.
 */
export function setRequestId(res: Answer, id: string): void {
  if (res.locals) res.locals.requestId = id;
}

function requestIdOf(res: Answer): string | undefined {
  const id = res.locals?.requestId;
  return typeof id === 'string' ? id : undefined;
}

/**
 * Makes every answer of an app carry helmet's default security headers and its request id, added
 * when its head is written rather than when the request comes: a header set with `setHeader` costs a
 * validation and an entry of its own, and a dozen of them were a tenth of a submission's CPU. Set on
 * the app's own response prototype (`app.response`), so no other app or server is touched. A header
 * a route set itself (a stricter Content-Security-Policy, say) is kept.
 */
export function installAnswerHeaders(response: object): void {
  Object.defineProperty(response, 'writeHead', {
    configurable: true,
    writable: true,
    value: function writeHead(this: Answer, ...args: Parameters<ServerResponse['writeHead']>): ServerResponse {
      if (!this.headersSent) {
        for (let i = 0; i < SECURITY_HEADERS.length; i += 2) {
          const name = SECURITY_HEADERS[i] as string;
          if (!this.hasHeader(name)) this.setHeader(name, SECURITY_HEADERS[i + 1] as string);
        }
        const id = requestIdOf(this);
        if (id !== undefined && !this.hasHeader('X-Request-Id')) this.setHeader('X-Request-Id', id);
      }
      return writeHeadOfNode.apply(this, args);
    },
  });
}

/**
 * Writes the head of an answer in one call: the security headers, the request id, then `headers`
 * (names and values in turn), passed to Node as one list, with no `setHeader` entry for any of them.
 * For the busiest answers, whose handlers set no header of their own before it.
 */
export function writeAnswerHead(res: Answer, status: number, headers: readonly string[]): void {
  const id = requestIdOf(res);
  const all = id === undefined ? SECURITY_HEADERS.concat(headers) : SECURITY_HEADERS.concat('X-Request-Id', id, headers);
  writeHeadOfNode.call(res, status, all);
}
