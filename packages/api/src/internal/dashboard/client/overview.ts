import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Access } from './api.js';
import { ThroughputChart } from './chart.js';
import { useFeed } from './feed.js';
import { ago, REFRESH_MS, type Stats, type WorkerInfo } from './types.js';

/** What the partitions table shows of each: its queue depths, then its jobs by status. */
const PARTITION_COLUMNS = ['ready', 'delayed', 'leased', 'dead', 'queued', 'running', 'succeeded', 'failed'];

// One chart for the page's life.
const chart = new ThroughputChart();

/** Counts (live), queue depths, workers and the throughput chart (re-read every 10 s). */
export function Overview({ access, onError }: { access: Access; onError: (message: string) => void }) {
  const [stats, setStats] = useState<Stats | undefined>();
  const [workers, setWorkers] = useState<WorkerInfo[]>([]);
  const [tick, setTick] = useState(0);
  // A partitioned queue shows as one; its partitions one by one on request (one more read per partition).
  const [byPartition, setByPartition] = useState(false);
  const chartRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (chartRef.current) chart.mount(chartRef.current);
    return () => chart.destroy();
  }, []);
  useEffect(() => {
    let live = true;
    void Promise.all([api<Stats>('GET', byPartition ? '/stats?partitions=true' : '/stats'), api<{ workers: WorkerInfo[] }>('GET', '/workers')]).then(([s, w]) => {
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
  }, [tick, byPartition]);

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
      ${(stats?.partitionCount ?? 1) > 1 ? html`<p class="note">${stats?.partitionCount} partitions, shown together.
        <button data-testid="toggle-partitions" onClick=${() => setByPartition(!byPartition)}>${byPartition ? 'Hide partitions' : 'Show partitions'}</button></p>` : ''}
      ${byPartition && stats?.partitions ? html`
      <table data-testid="partitions"><thead><tr><th>partition</th>${PARTITION_COLUMNS.map((name) => html`<th key=${name}>${name}</th>`)}</tr></thead><tbody>
        ${stats.partitions.map((p) => html`<tr key=${p.partition} data-partition=${p.partition}><td>${p.partition}</td>
          ${PARTITION_COLUMNS.map((name) => html`<td key=${name}>${p.queue[name] ?? p.counts[name] ?? 0}</td>`)}</tr>`)}
      </tbody></table>` : ''}
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
