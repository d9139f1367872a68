import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { QueueStats } from '@hotq/queue-core';
import { STATUSES } from './schemas.js';

/** Distinct job types given their own label before the rest are counted together. */
const MAX_TYPE_LABELS = 200;

/** What a scrape reads from Redis; absent when Redis did not answer. */
export interface ScrapeSnapshot {
  counts: Record<(typeof STATUSES)[number], number>;
  queue: QueueStats;
  workers: number;
  /** Each partition's stats, by index, on a queue of several. */
  partitions?: QueueStats[];
}

/**
 * The app's Prometheus metrics, in a registry of its own (two apps in one process do not mix).
 * Counters of what this process did (submissions, retries, requests) are kept as they happen;
 * the state of the queue and the records is read from Redis at scrape time.
 */
export class ApiMetrics {
  readonly registry = new Registry();
  private readonly submitted = new Counter({
    name: 'hotq_api_jobs_submitted_total', help: 'Jobs this API process created (idempotent repeats not counted), by type.',
    labelNames: ['type'], registers: [this.registry],
  });
  private readonly retried = new Counter({
    name: 'hotq_api_jobs_retried_total', help: 'Manual retries this API process queued, by type.',
    labelNames: ['type'], registers: [this.registry],
  });
  private readonly cancelled = new Counter({
    name: 'hotq_api_jobs_cancelled_total', help: 'Cancellations this API process made (outcome cancelled) or asked for (cancel_requested), by type.',
    labelNames: ['type', 'outcome'], registers: [this.registry],
  });
  private readonly requests = new Counter({
    name: 'hotq_api_http_requests_total', help: 'HTTP requests answered, by route (operation id), method and status.',
    labelNames: ['route', 'method', 'status'], registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'hotq_api_http_request_duration_seconds', help: 'Time to answer an HTTP request (event streams: their whole life), by route.',
    labelNames: ['route'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10], registers: [this.registry],
  });
  private readonly jobs = new Gauge({
    name: 'hotq_jobs', help: 'Job records by status (running: jobs being worked on now).', labelNames: ['status'], registers: [this.registry],
  });
  private readonly depth = new Gauge({
    name: 'hotq_queue_depth', help: 'Queue messages by state: ready, delayed, leased (held by a worker), dead.', labelNames: ['state'], registers: [this.registry],
  });
  private readonly queueEvents = new Counter({
    name: 'hotq_queue_events_total',
    help: 'Queue-wide running totals from Redis: put (submitted and retried), acked (succeeded, or cancelled while running), retried (automatic retries), dead (failed for good), expired (leases that ran out), released.',
    labelNames: ['event'], registers: [this.registry],
  });
  private readonly partitionDepth = new Gauge({
    name: 'hotq_partition_queue_depth', help: 'On a partitioned queue: each partition\'s messages by state (hotq_queue_depth adds them up).',
    labelNames: ['partition', 'state'], registers: [this.registry],
  });
  private readonly workers = new Gauge({ name: 'hotq_workers', help: 'Live workers.', registers: [this.registry] });
  private readonly redisUp = new Gauge({ name: 'hotq_redis_up', help: '1 when Redis answered this scrape, 0 when not.', registers: [this.registry] });

  constructor(openStreams: () => number, partitions = 1) {
    new Gauge({ name: 'hotq_partitions', help: 'Partitions of the queue (HOTQ_PARTITIONS).', registers: [this.registry] }).set(partitions);
    new Gauge({
      name: 'hotq_api_event_streams', help: 'Event streams (GET /jobs/{id}/events) open now.', registers: [this.registry],
      collect() {
        this.set(openStreams());
      },
    });
  }

  private readonly types = new Set<string>();
  // The series of each label set, looked up once: prom-client hashes the labels on every call
  // otherwise (sorting their names), on every request. Bounded: routes are operation ids, methods
  // those Node parses, statuses those the app answers, types at most MAX_TYPE_LABELS.
  private readonly requestCounts = new Map<string, { inc: () => void }>();
  private readonly latencies = new Map<string, { observe: (value: number) => void }>();
  private readonly submittedCounts = new Map<string, { inc: () => void }>();

  jobSubmitted(type: string): void {
    const label = this.typeLabel(type);
    // A type past the label limit counts as `_other`, whose series is kept once under that name.
    seriesOf(this.submittedCounts, label, () => this.submitted.labels({ type: label })).inc();
  }

  jobRetried(type: string): void {
    this.retried.inc({ type: this.typeLabel(type) });
  }

  jobCancelled(type: string, outcome: 'cancelled' | 'cancel_requested'): void {
    this.cancelled.inc({ type: this.typeLabel(type), outcome });
  }

  /** Types are chosen by clients: past MAX_TYPE_LABELS distinct ones, the rest count as `_other`. */
  private typeLabel(type: string): string {
    if (this.types.has(type)) return type;
    if (this.types.size >= MAX_TYPE_LABELS) return '_other';
    this.types.add(type);
    return type;
  }

  requestDone(route: string, method: string, status: number, seconds: number): void {
    seriesOf(this.requestCounts, `${route} ${method} ${status}`, () => this.requests.labels({ route, method, status: String(status) })).inc();
    seriesOf(this.latencies, route, () => this.latency.labels({ route })).observe(seconds);
  }

  /** The text exposition, after copying in what Redis said (or marking it down). */
  async render(snapshot: ScrapeSnapshot | undefined): Promise<string> {
    this.jobs.reset();
    this.depth.reset();
    this.partitionDepth.reset();
    this.queueEvents.reset();
    this.workers.reset();
    this.redisUp.set(snapshot ? 1 : 0);
    if (snapshot) {
      for (const status of STATUSES) this.jobs.set({ status }, snapshot.counts[status] ?? 0);
      for (const state of ['ready', 'delayed', 'leased', 'dead'] as const) this.depth.set({ state }, snapshot.queue[state]);
      for (const [event, total] of Object.entries(snapshot.queue.totals)) this.queueEvents.inc({ event }, total);
      for (const [partition, stats] of (snapshot.partitions ?? []).entries()) {
        for (const state of ['ready', 'delayed', 'leased', 'dead'] as const) this.partitionDepth.set({ partition: String(partition), state }, stats[state]);
      }
      this.workers.set(snapshot.workers);
    }
    return await this.registry.metrics();
  }
}

/** The series kept under `key`, made (and kept) the first time. */
function seriesOf<S>(series: Map<string, S>, key: string, make: () => S): S {
  let found = series.get(key);
  if (found === undefined) {
    found = make();
    series.set(key, found);
  }
  return found;
}
