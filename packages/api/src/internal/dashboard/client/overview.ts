import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Access } from './api.js';
import { ThroughputChart } from './chart.js';
import { useFeed } from './feed.js';
import { ago, REFRESH_MS, type Stats, type WorkerInfo } from './types.js';

// One chart for the page's life.
const chart = new ThroughputChart();

/** Counts (live), queue depths, workers and the throughput chart (re-read every 10 s). */
export function Overview({ access, onError }: { access: Access; onError: (message: string) => void }) {
  const [stats, setStats] = useState<Stats | undefined>();
  const [workers, setWorkers] = useState<WorkerInfo[]>([]);
  const [tick, setTick] = useState(0);
  const chartRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (chartRef.current) chart.mount(chartRef.current);
    return () => chart.destroy();
  }, []);
  useEffect(() => {
    let live = true;
    void Promise.all([api<Stats>('GET', '/stats'), api<{ workers: WorkerInfo[] }>('GET', '/workers')]).then(([s, w]) => {
      if (!live) return;
      setStats(s);
      setWorkers(w.workers);
      chart.show(s);
    }, (error: Error) => onError(error.message));
    const timer = setTimeout(() => setTick(tick + 1), REFRESH_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [tick]);

  // The counts are pushed with every change (GET /events); depths, workers and the chart are re-read every 10 s.
  useFeed(access.live, {
    onOpen: () => {},
    onChanges: (changes) => setStats((current) => (current ? { ...current, counts: changes.counts } : current)),
  });

  const setPaused = async (pause: boolean) => {
    await api('POST', pause ? '/queue/pause' : '/queue/resume').catch((error: Error) => onError(error.message));
    setTick(tick + 1);
  };

  return html`
    <section>
      <h2>Jobs</h2>
      <div class="cards" data-testid="counts">
        ${access.statuses.map((status) => html`<a class="card ${status}" href="#/jobs?status=${status}" key=${status}>
          <span class="n" data-status=${status}>${stats?.counts[status] ?? '…'}</span><span>${status}</span></a>`)}
      </div>
      <h2>Queue ${stats?.paused ? html`<span class="badge">paused</span>` : ''}</h2>
      <div class="cards">
        ${['ready', 'delayed', 'leased', 'dead'].map((name) => html`<div class="card" key=${name}><span class="n">${stats?.queue[name] ?? '…'}</span><span>${name}</span></div>`)}
      </div>
      ${access.pause && access.canWrite ? html`<p>
        <button onClick=${() => confirm('Pause the queue? Workers take nothing new; running jobs finish.') && setPaused(true)}>Pause queue</button>
        <button onClick=${() => setPaused(false)}>Resume queue</button></p>` : ''}
      ${stats?.limits && stats.limits.length > 0 ? html`
      <h2>Limits</h2>
      <table data-testid="limits"><thead><tr><th>scope</th><th>rate</th><th>starts in window</th><th>concurrency</th><th>running</th></tr></thead><tbody>
        ${stats.limits.map((limit) => html`<tr key=${limit.scope}><td>${limit.scope}</td>
          <td>${limit.rate ? `${limit.rate.count} per ${limit.rate.perMs} ms` : '–'}</td><td>${limit.rate ? limit.recentStarts : '–'}</td>
          <td>${limit.concurrency ?? '–'}</td><td>${limit.concurrency === null ? '–' : limit.running}</td></tr>`)}
      </tbody></table>` : ''}
      <h2>Throughput</h2>
      <p class="note">Jobs per minute over the last hour, counted by the queue itself (re-read every ${REFRESH_MS / 1000} s); the last minute is still counting.</p>
      <div ref=${chartRef} class="chart"></div>
      <h2>Workers (${workers.length})</h2>
      ${workers.length === 0 ? html`<p class="note">No live worker: jobs wait until one starts.</p>` : html`
      <table><thead><tr><th>id</th><th>host</th><th>pid</th><th>running</th><th>last beat</th></tr></thead><tbody>
        ${workers.map((w) => html`<tr key=${w.id}><td>${w.id}</td><td>${w.host}</td><td>${w.pid}</td>
          <td>${w.running.length}/${w.concurrency} ${w.running.map((id) => html`<a href="#/jobs/${id}">${id.slice(-6)}</a> `)}</td>
          <td>${ago(w.lastBeatAt)}</td></tr>`)}
      </tbody></table>`}
    </section>`;
}
