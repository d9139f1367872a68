// A small Server-Sent Events reader over fetch, for the tests.

export interface SseEvent {
  id?: string;
  event: string;
  data: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface SseStream {
  status: number;
  headers: Headers;
  /** The next event, or null once the server ended the stream. */
  next(timeoutMs?: number): Promise<SseEvent | null>;
  /** Comment lines seen so far (keep-alives). */
  comments: string[];
  close(): void;
}

export async function openEvents(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  const comments: string[] = [];
  const queue: Array<SseEvent | null> = [];
  const waiters: Array<(event: SseEvent | null) => void> = [];
  const push = (event: SseEvent | null): void => {
    const waiter = waiters.shift();
    if (waiter) waiter(event);
    else queue.push(event);
  };

  if (response.body && (response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let event = 'message';
            let id: string | undefined;
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) comments.push(line.slice(1).trim());
              else if (line.startsWith('event: ')) event = line.slice(7);
              else if (line.startsWith('id: ')) id = line.slice(4);
              else if (line.startsWith('data: ')) data.push(line.slice(6));
            }
            if (data.length > 0) push({ ...(id === undefined ? {} : { id }), event, data: JSON.parse(data.join('\n')) });
          }
        }
      } catch {
        // aborted by close()
      }
      push(null);
    })();
  } else {
    push(null);
  }

  return {
    status: response.status,
    headers: response.headers,
    comments,
    next: async (timeoutMs = 5_000) => {
      if (queue.length > 0) return queue.shift() as SseEvent | null;
      return await new Promise<SseEvent | null>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms`)), timeoutMs);
        waiters.push((event) => {
          clearTimeout(timer);
          resolve(event);
        });
      });
    },
    close: () => controller.abort(),
  };
}
