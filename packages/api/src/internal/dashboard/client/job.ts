import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, eventsUrl, type Access } from './api.js';
import { TERMINAL, type Job } from './types.js';

/** One job, live: status and progress arrive over its event stream until it ends. */
export function JobPage({ id, access, onError }: { id: string; access: Access; onError: (message: string) => void }) {
  const [job, setJob] = useState<Job | undefined>();
  const [result, setResult] = useState<string | undefined>();
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    setResult(undefined);
    const source = new EventSource(eventsUrl(id));
    source.addEventListener('status', (event) => {
      const next = JSON.parse((event as MessageEvent<string>).data) as Job;
      setJob(next);
      if (TERMINAL.has(next.status)) source.close();
    });
    source.addEventListener('progress', (event) => {
      const { progress } = JSON.parse((event as MessageEvent<string>).data) as Pick<Job, 'progress'>;
      setJob((current) => (current ? { ...current, progress } : current));
    });
    source.onerror = () => {
      // A refused stream (404, 401) ends; read the job to say why.
      if (source.readyState === EventSource.CLOSED) void api<Job>('GET', `/jobs/${id}`).then(setJob, (error: Error) => onError(error.message));
    };
    return () => source.close();
  }, [id, generation]);

  useEffect(() => {
    if (job?.status !== 'succeeded') return;
    fetchResult(id).then(setResult, () => setResult('(the result could not be read)'));
  }, [job?.status]);

  const act = async (method: string, path: string, question: string) => {
    if (!confirm(question)) return;
    try {
      setJob(await api<Job>(method, path));
      setGeneration(generation + 1);
    } catch (error) {
      onError((error as Error).message);
    }
  };

  if (!job) return html`<p>Loading ${id}…</p>`;
  const percent = typeof job.progress === 'number' ? job.progress : undefined;
  const rows: Array<[string, unknown]> = [
    ['type', job.type], ['priority', job.priority ?? 0], ['attempts', `${job.attempts} of ${job.maxAttempts}`], ['worker', job.worker ?? '–'],
    ['created', job.createdAt], ['started', job.startedAt ?? '–'], ['finished', job.finishedAt ?? '–'],
    ['timeout', job.timeoutMs === null ? 'none' : `${job.timeoutMs} ms`],
  ];
  return html`
    <section class="job">
      <p><a href="#/jobs">← jobs</a></p>
      <h2>${job.id} <span class="status ${job.status}" data-testid="job-status">${job.status}</span></h2>
      <div class="progress" data-testid="progress"><div class="bar" style=${{ width: `${percent ?? (job.status === 'succeeded' ? 100 : 0)}%` }}></div>
        <span>${percent !== undefined ? `${Math.round(percent)}%` : job.progress ? JSON.stringify(job.progress) : ''}</span></div>
      ${access.canWrite ? html`<p class="actions">
        ${!TERMINAL.has(job.status) ? html`<button onClick=${() => act('DELETE', `/jobs/${job.id}`, `Cancel job ${job.id}?`)}>Cancel</button>` : ''}
        ${['failed', 'cancelled'].includes(job.status) ? html`<button onClick=${() => act('POST', `/jobs/${job.id}/retry`, `Retry job ${job.id}?`)}>Retry</button>` : ''}
      </p>` : ''}
      <table class="fields"><tbody>${rows.map(([name, value]) => html`<tr><th>${name}</th><td>${String(value)}</td></tr>`)}
        ${job.dependsOn ? html`<tr data-testid="depends-on"><th>depends on</th><td>${job.dependsOn.map((dep) => html`<a href=${`#/jobs/${dep}`}>${dep}</a> `)}${job.onDependencyFailure === 'run' ? '(runs even if one fails)' : ''}</td></tr>` : ''}
      </tbody></table>
      <h3>Params</h3><pre>${JSON.stringify(job.params, null, 2)}</pre>
      ${job.error ? html`<h3>Error</h3><pre class="error">${job.error.message}${job.error.code ? ` (${job.error.code})` : ''}</pre>` : ''}
      ${result !== undefined ? html`<h3>Result</h3><pre data-testid="result">${result}</pre>` : ''}
    </section>`;
}

async function fetchResult(id: string): Promise<string> {
  try {
    return JSON.stringify(await api<unknown>('GET', `/jobs/${id}/result`), null, 2);
  } catch {
    // Bytes (not JSON): say so rather than dump them.
    return '(a result that is not JSON: GET /jobs/{id}/result)';
  }
}
