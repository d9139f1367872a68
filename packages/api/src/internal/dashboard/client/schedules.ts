import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type Access } from './api.js';
import { REFRESH_MS, until, type Job, type Schedule } from './types.js';

/** "every 5m", or "0 3 * * * (Europe/Berlin)". */
function whenText(schedule: Schedule): string {
  if (schedule.cron !== null) return `${schedule.cron}${schedule.tz ? ` (${schedule.tz})` : ''}`;
  return `every ${span(schedule.everyMs ?? 0)}`;
}

const UNITS: Array<[string, number]> = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]];

/** 300000 → "5m": the largest unit that divides it evenly. */
function span(ms: number): string {
  for (const [unit, size] of UNITS) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** "30s", "5m", "1h", "2d" or plain ms → ms; undefined when it is not a span. */
function parseSpan(text: string): number | undefined {
  const match = /^([0-9]{1,12})(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) return undefined;
  const unit = match[2] ?? 'ms';
  return Number(match[1]) * (unit === 'ms' ? 1 : (UNITS.find(([name]) => name === unit)?.[1] ?? 1));
}

const stateOf = (schedule: Schedule): string => (schedule.ended ? 'ended' : schedule.paused ? 'paused' : 'active');

/** Re-renders every second, so "in 5s" counts down; no request is made for it. */
function useClock(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/**
 * The schedules: when each is next due and whether it is active, paused or ended; pause, resume, run
 * now and delete for the write token. Re-read every 10 s (schedules have no event stream) and after
 * each action.
 */
export function Schedules({ access, onError }: { access: Access; onError: (message: string) => void }) {
  const [schedules, setSchedules] = useState<Schedule[] | undefined>();
  const [made, setMade] = useState<Job | undefined>();
  const [tick, setTick] = useState(0);
  const now = useClock();

  useEffect(() => {
    let live = true;
    void api<{ schedules: Schedule[] }>('GET', '/schedules').then((answer) => live && setSchedules(answer.schedules), (error: Error) => onError(error.message));
    const timer = setTimeout(() => setTick(tick + 1), REFRESH_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [tick]);

  const act = async (schedule: Schedule, action: 'pause' | 'resume' | 'run' | 'delete') => {
    const questions = {
      pause: `Pause schedule ${schedule.id}? It makes no job until it is resumed.`,
      resume: `Resume schedule ${schedule.id}? It goes on from its next due time after now.`,
      run: `Run schedule ${schedule.id} now? This makes one ${schedule.job.type} job.`,
      delete: `Delete schedule ${schedule.id}? The jobs it made stay.`,
    };
    if (!confirm(questions[action])) return;
    try {
      const path = `/schedules/${encodeURIComponent(schedule.id)}`;
      if (action === 'delete') await api('DELETE', path);
      else if (action === 'run') setMade(await api<Job>('POST', `${path}/run`));
      else await api('POST', `${path}/${action}`);
    } catch (error) {
      onError((error as Error).message);
    }
    setTick(tick + 1);
  };

  return html`
    <section>
      ${access.canWrite ? html`<${ScheduleForm} onSaved=${() => setTick(tick + 1)} onError=${onError} />` : ''}
      <h2>Schedules</h2>
      ${made ? html`<p class="note" data-testid="made">made <a href="#/jobs/${made.id}">${made.id}</a> (${made.type})</p>` : ''}
      <table data-testid="schedules"><thead><tr><th>id</th><th>job</th><th>when</th><th>next due</th><th>state</th><th>made</th><th>last job</th>
        ${access.canWrite ? html`<th></th>` : ''}</tr></thead><tbody>
        ${(schedules ?? []).map((schedule) => html`<tr key=${schedule.id} data-id=${schedule.id}>
          <td>${schedule.id}</td><td>${schedule.job.type}</td><td>${whenText(schedule)}</td>
          <td title=${schedule.nextAt ?? ''}>${schedule.nextAt ? html`${new Date(schedule.nextAt).toLocaleString()} <span class="note">${until(schedule.nextAt, now)}</span>` : '–'}</td>
          <td class="state ${stateOf(schedule)}" data-testid="state">${stateOf(schedule)}</td><td>${schedule.count}${schedule.limit === null ? '' : ` of ${schedule.limit}`}</td>
          <td>${schedule.lastJobId ? html`<a href="#/jobs/${schedule.lastJobId}">${schedule.lastJobId.slice(-6)}</a>` : '–'}</td>
          ${access.canWrite ? html`<td class="actions">
            ${schedule.paused ? html`<button onClick=${() => act(schedule, 'resume')}>Resume</button>` : html`<button onClick=${() => act(schedule, 'pause')}>Pause</button>`}
            <button onClick=${() => act(schedule, 'run')}>Run now</button>
            <button onClick=${() => act(schedule, 'delete')}>Delete</button></td>` : ''}
        </tr>`)}
      </tbody></table>
      ${schedules && schedules.length === 0 ? html`<p class="note">No schedules.${access.canWrite ? ' Make one above, or with hotq schedules set.' : ''}</p>` : ''}
    </section>`;
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Create or replace a schedule (PUT /schedules/:id); everything the page can check is checked before sending. */
function ScheduleForm({ onSaved, onError }: { onSaved: () => void; onError: (message: string) => void }) {
  const [id, setId] = useState('');
  const [type, setType] = useState('');
  const [params, setParams] = useState('{}');
  const [when, setWhen] = useState('');
  const [saved, setSaved] = useState('');
  // "every 5m" or a cron expression: a span alone is an interval, anything else goes to the API as cron.
  const every = parseSpan(when);
  let problem = '';
  try {
    const value: unknown = JSON.parse(params || '{}');
    if (typeof value !== 'object' || value === null || Array.isArray(value)) problem = 'params must be a JSON object, e.g. {"text": "hello"}';
  } catch (error) {
    problem = `params are not valid JSON: ${(error as Error).message}`;
  }
  if (every !== undefined && every < 1_000) problem ||= 'an interval must be at least 1s';
  if (!when.trim()) problem ||= 'say when: an interval such as 30s, 5m, 1h, or a cron expression such as 0 3 * * *';
  if (!type) problem ||= 'give a job type, e.g. wordcount';
  if (!ID_PATTERN.test(id)) problem ||= 'give an id: letters, digits, ".", "_" or "-" (up to 128)';
  const save = async (e: Event) => {
    e.preventDefault();
    if (problem) return;
    const body = { job: { type, params: JSON.parse(params || '{}') as unknown }, ...(every === undefined ? { cron: when.trim() } : { everyMs: every }) };
    try {
      const schedule = await api<Schedule>('PUT', `/schedules/${encodeURIComponent(id)}`, body);
      setSaved(`saved ${schedule.id}`);
      onSaved();
    } catch (error) {
      onError((error as Error).message);
    }
  };
  return html`
    <form class="submit" onSubmit=${save}>
      <h2>Set a schedule</h2>
      <label>id <input name="schedule-id" value=${id} onInput=${(e: Event) => setId((e.target as HTMLInputElement).value.trim())} placeholder="nightly-report" /></label>
      <label>job type <input name="schedule-type" value=${type} onInput=${(e: Event) => setType((e.target as HTMLInputElement).value.trim())} placeholder="wordcount" /></label>
      <label>params <textarea name="schedule-params" rows="2" value=${params} onInput=${(e: Event) => setParams((e.target as HTMLTextAreaElement).value)}></textarea></label>
      <label>every or cron <input name="schedule-when" value=${when} onInput=${(e: Event) => setWhen((e.target as HTMLInputElement).value)} placeholder="5m or 0 3 * * *" /></label>
      <button type="submit" disabled=${problem !== ''}>Save</button>
      ${problem ? html`<span class="problem" role="alert">${problem}</span>` : ''}
      ${saved ? html`<span class="note">${saved}</span>` : ''}
    </form>`;
}
