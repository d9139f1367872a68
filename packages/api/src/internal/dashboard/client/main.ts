// The dashboard: a token gate, then the overview, the jobs table, a job page and the schedules, routed by the URL's hash.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { html, render } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { checkAccess, token, type Access } from './api.js';
import { JobPage } from './job.js';
import { Jobs } from './jobs.js';
import { Overview } from './overview.js';
import { Schedules } from './schedules.js';

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return hash;
}

function TokenPrompt({ message, onToken }: { message: string; onToken: (value: string) => void }) {
  const [value, setValue] = useState('');
  return html`
    <form class="token" onSubmit=${(e: Event) => { e.preventDefault(); onToken(value.trim()); }}>
      <h2>Sign in</h2>
      <p class="problem" role="alert">${message}</p>
      <p class="note">Give the API's token (HOTQ_API_TOKEN), or its read-only token (HOTQ_API_READ_TOKEN) to look without changing anything. It is kept for this browser tab only.</p>
      <input type="password" name="token" autocomplete="current-password" value=${value} onInput=${(e: Event) => setValue((e.target as HTMLInputElement).value)} />
      <button type="submit">Sign in</button>
    </form>`;
}

function App() {
  const [access, setAccess] = useState<Access | undefined>();
  const [error, setError] = useState('');
  const hash = useHash();
  const recheck = () => void checkAccess().then(setAccess);
  useEffect(recheck, []);

  if (!access) return html`<p>Connecting…</p>`;
  if (!access.ok) {
    return html`<${Shell}><${TokenPrompt} message=${access.message ?? ''} onToken=${(value: string) => { token.set(value); recheck(); }} /><//>`;
  }
  const onError = (message: string) => setError(message);
  const job = /^#\/jobs\/([0-9A-Z]{26})$/.exec(hash);
  const jobs = /^#\/jobs(?:\?status=([a-z]+))?$/.exec(hash);
  let view;
  if (job?.[1]) view = html`<${JobPage} key=${job[1]} id=${job[1]} access=${access} onError=${onError} />`;
  else if (hash === '#/schedules' && access.schedules) view = html`<${Schedules} access=${access} onError=${onError} />`;
  else if (jobs) view = html`<${Jobs} key=${hash} access=${access} initialStatus=${jobs[1] ?? ''} onError=${onError} />`;
  else view = html`<${Overview} access=${access} onError=${onError} />`;
  return html`<${Shell} access=${access} onSignOut=${() => { token.set(''); recheck(); }}>
    ${error ? html`<p class="problem banner" role="alert" onClick=${() => setError('')}>${error} <small>(click to dismiss)</small></p>` : ''}
    ${view}<//>`;
}

function Shell({ access, onSignOut, children }: { access?: Access; onSignOut?: () => void; children?: unknown }) {
  return html`
    <header>
      <h1><a href="#/">hotq</a></h1>
      <nav><a href="#/">Overview</a><a href="#/jobs">Jobs</a>${access?.schedules ? html`<a href="#/schedules">Schedules</a>` : ''}</nav>
      ${access ? html`<span class="who">${access.canWrite ? '' : html`<span class="badge" data-testid="read-only">read-only</span>`}
        ${token.get() ? html`<button class="link" onClick=${onSignOut}>sign out</button>` : ''}</span>` : ''}
    </header>
    <main>${children}</main>`;
}

render(html`<${App} />`, document.getElementById('app') as HTMLElement);
