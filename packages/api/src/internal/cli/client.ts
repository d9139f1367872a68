// The `hotq` command's HTTP client: one place that sends a request to the API and turns every way it
// can go wrong into a CliError that says what happened and what to do about it.

/** Exit codes of `hotq`: 0 success, 1 the job or the action failed, 2 the command line was wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure to report: a message for a person, the exit code, and the API's error code when there was one. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A usage error (exit 2). */
export const usage = (message: string): CliError => new CliError(message, EXIT.usage, 'usage');

/** An answer the API gave with a 2xx status. */
export interface Reply {
  status: number;
  contentType: string;
  /** The body parsed as JSON when it is JSON; undefined otherwise. */
  body: unknown;
  /** The raw body. */
  bytes: Buffer;
}

/** What a request is about, so an error can name it. */
export interface Subject {
  /** "job 01J..." when the path names a job: a 404 then means no such job. */
  job?: string;
  /** The schedule id when the path names a schedule: a 404 then means no such schedule. */
  schedule?: string;
  /**
   * The command, when its route may be missing from an older API (the operator routes): a 404 then
   * means "this API does not offer it yet".
   */
  feature?: string;
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown; details?: unknown };
}

const REQUEST_TIMEOUT_MS = 30_000;

/** Where the API is and how to authenticate. */
export class ApiClient {
  readonly base: URL;

  constructor(
    url: string,
    private readonly token: string | undefined,
  ) {
    let base: URL;
    try {
      base = new URL(url);
    } catch {
      throw usage(`--url ${JSON.stringify(url)} is not a URL; give the API's address, e.g. http://127.0.0.1:3000 (or set HOTQ_URL)`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw usage(`--url must be an http:// or https:// address (got ${JSON.stringify(url)})`);
    }
    this.base = base;
  }

  /** The URL of `path` under the API's base (which may itself have a path, behind a proxy). */
  url(path: string): URL {
    const base = this.base.href.endsWith('/') ? this.base.href : `${this.base.href}/`;
    return new URL(path.replace(/^\//, ''), base);
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...extra, ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) };
  }

  /** Opens a request whose body is read by the caller (the event stream); errors as {@link request}. */
  async open(method: string, path: string, init: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal; subject?: Subject } = {}): Promise<Response> {
    const headers = this.headers(init.headers);
    let body: string | undefined;
    if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers['content-type'] = 'application/json';
    }
    let response: Response;
    try {
      response = await fetch(this.url(path), { method, headers, ...(body === undefined ? {} : { body }), ...(init.signal ? { signal: init.signal } : {}) });
    } catch (error) {
      throw this.unreachable(error);
    }
    if (response.status >= 400) {
      const bytes = Buffer.from(await response.arrayBuffer().catch(() => new ArrayBuffer(0)));
      throw this.refusal(method, path, response, bytes, init.subject ?? {});
    }
    return response;
  }

  /** Sends a request and reads the whole answer; any status of 400 and up becomes a CliError. */
  async request(method: string, path: string, init: { body?: unknown; subject?: Subject } = {}): Promise<Reply> {
    const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    const response = await this.open(method, path, { ...init, signal });
    let bytes: Buffer;
    try {
      bytes = Buffer.from(await response.arrayBuffer());
    } catch (error) {
      throw this.unreachable(error);
    }
    const contentType = response.headers.get('content-type') ?? '';
    let body: unknown;
    if (/json/i.test(contentType) && bytes.length > 0) {
      try {
        body = JSON.parse(bytes.toString('utf8'));
      } catch {
        throw new CliError(`${this.base.origin} answered ${method} ${path} with malformed JSON; is --url the hotq API?`, EXIT.failed, 'bad_answer');
      }
    }
    return { status: response.status, contentType, body, bytes };
  }

  /** The JSON body of a request, or a CliError when the answer is not JSON. */
  async json<T>(method: string, path: string, init: { body?: unknown; subject?: Subject } = {}): Promise<T> {
    const reply = await this.request(method, path, init);
    if (reply.body === undefined) {
      throw new CliError(`${this.base.origin} answered ${method} ${path} with ${reply.contentType || 'no content type'}, not JSON; is --url the hotq API?`, EXIT.failed, 'bad_answer');
    }
    return reply.body as T;
  }

  private unreachable(error: unknown): CliError {
    const err = error as { name?: string; cause?: { code?: string; message?: string } };
    if (err.name === 'TimeoutError') {
      return new CliError(`the API at ${this.base.origin} did not answer within ${REQUEST_TIMEOUT_MS / 1000} s; check that it is healthy (GET /readyz) and try again`, EXIT.failed, 'timeout');
    }
    const reason = err.cause?.code ?? err.cause?.message ?? (error as Error)?.message ?? String(error);
    return new CliError(
      `cannot reach the hotq API at ${this.base.origin} (${reason}). Is hotq-api running there? Point --url or HOTQ_URL at it (default http://127.0.0.1:3000).`,
      EXIT.failed,
      'unreachable',
    );
  }

  private refusal(method: string, path: string, response: Response, bytes: Buffer, subject: Subject): CliError {
    let apiError: { code?: unknown; message?: unknown } | undefined;
    try {
      apiError = (JSON.parse(bytes.toString('utf8')) as ErrorBody).error;
    } catch {
      apiError = undefined;
    }
    const code = typeof apiError?.code === 'string' ? apiError.code : undefined;
    const said = typeof apiError?.message === 'string' ? apiError.message : undefined;
    const status = response.status;
    const route = `${method} ${path.replace(/\?.*$/, '')}`;
    if (code === undefined) {
      return new CliError(`${this.base.origin} answered ${route} with HTTP ${status} and no hotq error body; is --url the hotq API?`, EXIT.failed, 'bad_answer');
    }
    switch (status) {
      case 400:
        return new CliError(`the API refused the request: ${said ?? 'invalid input'}`, EXIT.usage, code);
      case 401:
        return new CliError(
          this.token
            ? `the API at ${this.base.origin} does not accept this token (401); check --token or HOTQ_API_TOKEN against the server's HOTQ_API_TOKEN`
            : `the API at ${this.base.origin} needs a token (401); pass --token or set HOTQ_API_TOKEN`,
          EXIT.failed,
          code,
        );
      case 403:
        return new CliError(`this token may only read (403): ${route} needs the full token (the server's HOTQ_API_TOKEN), not the read token`, EXIT.failed, code);
      case 404:
        if (subject.schedule !== undefined && said === `no schedule ${subject.schedule}`) {
          // The API's own words for a schedule it does not have (any other 404 is a route it lacks).
          return new CliError(`no schedule ${subject.schedule} on ${this.base.origin} (404): check the id (hotq schedules lists them)`, EXIT.failed, code);
        }
        if (subject.feature !== undefined && code === 'not_found' && subject.job === undefined) {
          return new CliError(
            `this API does not offer "${subject.feature}" yet (${route} answered 404): it needs a hotq-api with the operator routes`,
            EXIT.failed,
            'unsupported',
          );
        }
        if (subject.job !== undefined) {
          return new CliError(`no job ${subject.job} on ${this.base.origin} (404): check the id (hotq ls lists jobs); finished jobs expire after their retention (7 days by default)`, EXIT.failed, code);
        }
        return new CliError(`${route} is not a route of the API at ${this.base.origin} (404); is --url the hotq API, and up to date?`, EXIT.failed, code);
      case 409:
        return new CliError(said ?? `${route}: conflict`, EXIT.failed, code);
      case 503:
        return new CliError(`the API cannot reach Redis right now (503): ${said ?? 'try again shortly'}`, EXIT.failed, code);
      default:
        return new CliError(`${route} failed with HTTP ${status} (${code}): ${said ?? 'no message'}`, EXIT.failed, code);
    }
  }
}
