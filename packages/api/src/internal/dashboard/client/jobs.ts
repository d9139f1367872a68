import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Access } from './api.js';
import { useFeed, type Changes } from './feed.js';
import { applyChanges, type ListFilter, type Page } from './live-list.js';
import { ago, REFRESH_MS, type Job } from './types.js';

type Filter = ListFilter;

const PAGE_SIZE = 25;

/**
 * The jobs table: filters, cursor paging, newest first. Live from the API's change stream (GET
 * /events): rows change status in place, new jobs arrive at the top of the first page, and the page
 * is read again only when the stream (re)opens or a change cannot be placed without it, at most once
 * per 10 s. An API without the stream gets the first page re-read every 10 s.
 */
export function Jobs({ access, initialStatus, onError }: { access: Access; initialStatus: string; onError: (message: string) => void }) {
  const [filter, setFilter] = useState<Filter>({ status: initialStatus, type: '' });
  // Cursors of the pages before this one, for "newer".
  const [cursors, setCursors] = useState<string[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [page, setPage] = useState<Page | undefined>();
  const [tick, setTick] = useState(0);
  const shown = useRef<Page | undefined>(undefined);
  // Changes that arrive while a read is under way, applied to what it reads.
  const duringRead = useRef<Changes[] | null>(null);
  const lastRead = useRef(0);
  const laterRead = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const show = (next: Page): void => {
    shown.current = next;
    setPage(next);
  };

  const read = (): void => {
    const buffer: Changes[] = [];
    duringRead.current = buffer;
    lastRead.current = Date.now();
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (filter.status) query.set('status', filter.status);
    if (filter.type) query.set('type', filter.type);
    if (cursor) query.set('cursor', cursor);
    void api<Page>('GET', `/jobs?${query}`).then((answer) => {
      if (duringRead.current !== buffer) return;
      duringRead.current = null;
      show(buffer.reduce((current, changes) => applyChanges(current, changes, filter, cursor === null).page, answer));
    }, (error: Error) => onError(error.message));
  };

  /** Reads again, at most once per REFRESH_MS (a flood of changes never turns into a flood of reads). */
  const readSoon = (): void => {
    if (laterRead.current) return;
    laterRead.current = setTimeout(() => {
      laterRead.current = undefined;
      read();
    }, Math.max(0, lastRead.current + REFRESH_MS - Date.now()));
  };

  useEffect(() => {
    read();
    // Without the stream, only the first page moves by itself (new jobs arrive at the top).
    const timer = access.live || cursor ? undefined : setTimeout(() => setTick(tick + 1), REFRESH_MS);
    return () => {
      duringRead.current = null;
      clearTimeout(timer);
    };
  }, [filter, cursor, tick]);
  useEffect(() => () => clearTimeout(laterRead.current), []);

  useFeed(access.live, {
    onOpen: read,
    onChanges: (changes) => {
      duringRead.current?.push(changes);
      if (!shown.current) return;
      const next = applyChanges(shown.current, changes, filter, cursor === null);
      show(next.page);
      if (next.stale) readSoon();
    },
  });

  const changeFilter = (next: Filter) => {
    setCursors([]);
    setCursor(null);
    setFilter(next);
  };

  const bulk = async (action: 'retry' | 'delete') => {
    const body = { ...(filter.type ? { type: filter.type } : {}), ...(action === 'retry' ? { status: 'failed' } : filter.status ? { status: filter.status } : { all: true }) };
    try {
      const dry = await api<{ matched: number }>('POST', `/jobs/${action}`, { ...body, dryRun: true });
      if (!confirm(`${action === 'retry' ? 'Retry' : 'Delete'} ${dry.matched} job(s)?`)) return;
      const done = await api<{ changed: number }>('POST', `/jobs/${action}`, body);
      alert(`${action === 'retry' ? 'Retried' : 'Deleted'} ${done.changed} job(s).`);
      // Deletes send no change: read the page again.
      setTick(tick + 1);
    } catch (error) {
      onError((error as Error).message);
    }
  };

  return html`
    <section>
      ${access.canWrite ? html`<${SubmitForm} onSubmitted=${() => changeFilter({ ...filter })} onError=${onError} />` : ''}
      <h2>Jobs</h2>
      <form class="filters" onSubmit=${(e: Event) => e.preventDefault()}>
        <label>status <select name="status" value=${filter.status} onChange=${(e: Event) => changeFilter({ ...filter, status: (e.target as HTMLSelectElement).value })}>
          <option value="">any</option>${access.statuses.map((s) => html`<option value=${s}>${s}</option>`)}</select></label>
        <label>type <input name="type" value=${filter.type} placeholder="any" onChange=${(e: Event) => changeFilter({ ...filter, type: (e.target as HTMLInputElement).value.trim() })} /></label>
        ${access.bulk && access.canWrite ? html`<button type="button" onClick=${() => bulk('retry')}>Retry failed…</button>
          <button type="button" onClick=${() => bulk('delete')}>Delete finished…</button>` : ''}
      </form>
      <table data-testid="jobs"><thead><tr><th>id</th><th>status</th><th>type</th><th>attempts</th><th>created</th><th>error</th></tr></thead><tbody>
        ${(page?.jobs ?? []).map((job) => html`<tr key=${job.id} data-id=${job.id}>
          <td><a href="#/jobs/${job.id}">${job.id}</a></td><td class="status ${job.status}">${job.status}</td><td>${job.type}</td>
          <td>${job.attempts}/${job.maxAttempts}</td><td>${ago(job.createdAt)}</td><td>${job.error?.message ?? ''}</td></tr>`)}
      </tbody></table>
      ${page && page.jobs.length === 0 ? html`<p class="note">No jobs match.</p>` : ''}
      <p class="pager">
        <button disabled=${cursors.length === 0 && cursor === null} onClick=${() => { setCursor(cursors[cursors.length - 1] ?? null); setCursors(cursors.slice(0, -1)); }}>← newer</button>
        <button disabled=${!page?.nextCursor} onClick=${() => { setCursors(cursor === null ? [] : [...cursors, cursor]); setCursor(page?.nextCursor ?? null); }}>older →</button>
      </p>
    </section>`;
}

/** Submit a job: the params are checked to be a JSON object before anything is sent. */
function SubmitForm({ onSubmitted, onError }: { onSubmitted: () => void; onError: (message: string) => void }) {
  const [type, setType] = useState('');
  const [params, setParams] = useState('{}');
  const [priority, setPriority] = useState('0');
  const [sent, setSent] = useState<Job | undefined>();
  let problem = '';
  try {
    const value: unknown = JSON.parse(params || '{}');
    if (typeof value !== 'object' || value === null || Array.isArray(value)) problem = 'params must be a JSON object, e.g. {"text": "hello"}';
  } catch (error) {
    problem = `params are not valid JSON: ${(error as Error).message}`;
  }
  if (!/^-?[0-9]{1,3}$/.test(priority) || Math.abs(Number(priority)) > 100) problem ||= 'priority must be an integer from -100 to 100';
  if (!type) problem ||= 'give a job type, e.g. wordcount';
  const submit = async (e: Event) => {
    e.preventDefault();
    if (problem) return;
    try {
      setSent(await api<Job>('POST', '/jobs', { type, params: JSON.parse(params || '{}'), ...(Number(priority) === 0 ? {} : { priority: Number(priority) }) }));
      onSubmitted();
    } catch (error) {
      onError((error as Error).message);
    }
  };
  return html`
    <form class="submit" onSubmit=${submit}>
      <h2>Submit a job</h2>
      <label>type <input name="submit-type" value=${type} onInput=${(e: Event) => setType((e.target as HTMLInputElement).value.trim())} placeholder="wordcount" /></label>
      <label>params <textarea name="submit-params" rows="3" value=${params} onInput=${(e: Event) => setParams((e.target as HTMLTextAreaElement).value)}></textarea></label>
      <label>priority <input name="submit-priority" class="narrow" inputmode="numeric" value=${priority} onInput=${(e: Event) => setPriority((e.target as HTMLInputElement).value.trim())} /></label>
      <button type="submit" disabled=${problem !== ''}>Submit</button>
      ${problem ? html`<span class="problem" role="alert">${problem}</span>` : ''}
      ${sent ? html`<span class="note">submitted <a href="#/jobs/${sent.id}">${sent.id}</a></span>` : ''}
    </form>`;
}
