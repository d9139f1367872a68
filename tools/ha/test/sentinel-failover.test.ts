// A Sentinel deployment (a master, two replicas, three sentinels) loses its master under load.
import { startRedisSentinel, uniqueName, type RedisSentinel, type RedisServer } from '@hotq/test-harness';
import { afterEach, describe, expect, it } from 'vitest';
import { describeReport, recordHistory, runFailover, type Deployment } from './_failover.js';

let sentinel: RedisSentinel | undefined;
afterEach(async () => {
  await sentinel?.dispose();
  sentinel = undefined;
});

/** A fresh deployment for one run; two replicas, so that one still backs the new master. */
async function deploy(): Promise<Deployment> {
  // A backlog large enough that a replica that fell behind resumes with a partial resync: a full one
  // rewrites its append-only file, and with it the history the checks read (seen once under CI load).
  const own = await startRedisSentinel({ replicas: 2, replicationLinks: true, args: ['--repl-backlog-size', '64mb'] });
  sentinel = own;
  await recordHistory(own.replicas);
  return {
    env: { REDIS_SENTINELS: own.sentinelList, REDIS_SENTINEL_NAME: own.name },
    primaryOf: async () => ({ master: own.master, replicas: [...own.replicas] }),
    waitForFailover: async (old) => {
      const port = await own.waitForFailover(old.port);
      return own.servers.find((server) => server.port === port) as RedisServer;
    },
    // The links between the master and its replicas stop passing the master's writes.
    stall: () => own.stallReplication(),
    resume: () => {},
  };
}

describe('failover of a Sentinel deployment under load', () => {
  it('with HOTQ_WAIT_REPLICAS=1: the API and workers carry on, no acknowledged submission is lost, no job finishes twice', async () => {
    const report = await runFailover(await deploy(), { queue: uniqueName('ha'), waitReplicas: 1 });
    console.log(describeReport('Sentinel', report));
    expect(report.acknowledgedBefore).toBeGreaterThan(5);
    expect(report.acknowledgedAfter).toBeGreaterThanOrEqual(20);
    expect(report.lost).toEqual([]);
    expect(report.unfinished, report.workers).toEqual([]);
    expect(report.finishedTwice).toEqual([]);
  });

  it('without it: the API and workers carry on, and the test reports how many acknowledged submissions were lost', async () => {
    const report = await runFailover(await deploy(), { queue: uniqueName('ha'), waitReplicas: 0 });
    console.log(describeReport('Sentinel', report));
    // What is still promised: the processes recover, and no job that survived finishes twice.
    expect(report.acknowledgedAfter).toBeGreaterThanOrEqual(20);
    expect(report.unfinished, report.workers).toEqual([]);
    expect(report.finishedTwice).toEqual([]);
  });
});
