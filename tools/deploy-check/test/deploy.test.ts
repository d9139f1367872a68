import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';

// There is no Docker engine or cluster here: these files are checked by reading them, against the
// real bins' --help and the environment variables the project documents.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const require = createRequire(import.meta.url);
const documented = new Set([
  'REDIS_URL', 'HOTQ_PREFIX', 'HOTQ_QUEUE', 'PORT', 'HOST', 'HOTQ_API_TOKEN', 'HOTQ_API_READ_TOKEN', 'HOTQ_CONCURRENCY',
  'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS', 'REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD', 'HOTQ_WAIT_REPLICAS', 'HOTQ_WAIT_REPLICAS_TIMEOUT_MS', 'HOTQ_PARTITIONS',
]);
// Only the API submits: the durability option is the API's.
const apiOnly = new Set(['HOTQ_WAIT_REPLICAS', 'HOTQ_WAIT_REPLICAS_TIMEOUT_MS', 'HOTQ_API_TOKEN', 'HOTQ_API_READ_TOKEN']);

function help(pkg: string, bin: string): string {
  const manifestPath = require.resolve(`${pkg}/package.json`);
  const manifest = require(manifestPath) as { bin: Record<string, string> };
  const path = resolve(dirname(manifestPath), manifest.bin[bin] as string);
  return execFileSync(process.execPath, [path, '--help'], { encoding: 'utf8' });
}
const helps: Record<string, string> = {
  'hotq-api': help('@hotq/api', 'hotq-api'),
  'hotq-worker': help('@hotq/worker', 'hotq-worker'),
};

/** Every `--flag` of a command exists in its bin's --help. */
function expectRealCommand(command: string[]): void {
  const [bin, ...args] = command;
  expect(Object.keys(helps)).toContain(bin);
  for (const flag of args.filter((arg) => arg.startsWith('--'))) expect(helps[bin as string]).toContain(flag);
}

function flagValue(command: string[], flag: string): string | undefined {
  const index = command.indexOf(flag);
  return index >= 0 ? command[index + 1] : undefined;
}

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'));
  const { redis, api, worker } = compose.services;

  it('has redis, api and worker, and nothing fixes the worker count', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'redis', 'worker']);
    // `--scale worker=N` needs a worker without container_name or host ports.
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
  });

  it('runs Redis 7 with persistence, a volume and noeviction', () => {
    expect(redis.image).toMatch(/^redis:7/);
    expect(redis.command.join(' ')).toMatch(/--appendonly yes/);
    expect(redis.command.join(' ')).toMatch(/--maxmemory-policy noeviction/);
    expect(redis.volumes[0]).toMatch(/:\/data$/);
  });

  it('runs the real bins with real flags and documented variables', () => {
    expectRealCommand(api.command);
    expectRealCommand(worker.command);
    expect(flagValue(api.command, '--host')).toBe('0.0.0.0');
    for (const service of [api, worker]) {
      for (const name of Object.keys(service.environment)) expect(documented).toContain(name);
      expect(service.environment.REDIS_URL).toBe('redis://redis:6379/0');
    }
  });

  it('gives workers more time to stop than their grace period', () => {
    expect(Number.parseInt(worker.stop_grace_period, 10)).toBeGreaterThan(25);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  it('is multi-stage, runs as a non-root user and ships both bins', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBe(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    for (const pkg of ['api', 'worker', 'queue-core', 'jobs-store']) expect(dockerfile).toContain(`packages/${pkg}/dist`);
    expect(dockerfile).toMatch(/CMD \["hotq-api"/);
  });
});

describe('deploy/kubernetes', () => {
  const dir = join(root, 'deploy/kubernetes');
  const objects = readdirSync(dir).flatMap((file) =>
    parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((doc) => doc.toJS()));
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

  it('has Redis with a volume and a Service, the API and the workers', () => {
    expect(find('StatefulSet', 'hotq-redis')).toBeDefined();
    expect(find('PersistentVolumeClaim', 'hotq-redis-data')).toBeDefined();
    expect(find('Service', 'hotq-redis')).toBeDefined();
    expect(find('Service', 'hotq-api')).toBeDefined();
  });

  it('probes the API on /readyz and /healthz and runs the real bin', () => {
    const container = find('Deployment', 'hotq-api').spec.template.spec.containers[0];
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expectRealCommand(container.command);
  });

  it('runs two workers with a termination grace above their own', () => {
    const deployment = find('Deployment', 'hotq-worker');
    expect(deployment.spec.replicas).toBe(2);
    const spec = deployment.spec.template.spec;
    const command = spec.containers[0].command;
    expectRealCommand(command);
    expect(spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(Number(flagValue(command, '--grace-ms') ?? 25_000));
  });

  it('uses only documented variables and reaches Redis through its Service', () => {
    for (const name of ['hotq-api', 'hotq-worker']) {
      const env = find('Deployment', name).spec.template.spec.containers[0].env as Array<{ name: string; value: string }>;
      for (const variable of env) expect(documented).toContain(variable.name);
      expect(env.find((v) => v.name === 'REDIS_URL')?.value).toBe('redis://hotq-redis:6379/0');
    }
  });
});

/** Every data server runs with persistence and never evicts keys. */
function expectSafeRedis(args: string): void {
  expect(args).toMatch(/--appendonly yes/);
  expect(args).toMatch(/--maxmemory-policy noeviction/);
}

/** `host:port,...` split into names and ports. */
function addresses(list: string): Array<{ host: string; port: number }> {
  return list.split(',').map((item) => {
    const [host = '', port = ''] = item.split(':');
    return { host, port: Number(port) };
  });
}

describe('deploy/compose/sentinel.yml', () => {
  const compose = parse(readFileSync(join(root, 'deploy/compose/sentinel.yml'), 'utf8'), { merge: true });
  const services = compose.services as Record<string, { command: string[] | string; environment?: Record<string, string>; image?: string }>;
  const sentinels = Object.keys(services).filter((name) => name.startsWith('sentinel-'));
  const data = Object.keys(services).filter((name) => name.startsWith('redis-'));

  it('runs a master, two replicas of it and three sentinels with a quorum of 2, all Redis 7', () => {
    expect(data.sort()).toEqual(['redis-master', 'redis-replica-1', 'redis-replica-2']);
    expect(sentinels).toHaveLength(3);
    for (const name of data) {
      const command = (services[name]!.command as string[]).join(' ');
      expectSafeRedis(command);
      if (name !== 'redis-master') expect(command).toMatch(/--replicaof redis-master 6379/);
    }
    for (const name of sentinels) {
      const script = (services[name]!.command as string[]).join(' ');
      expect(services[name]!.image).toMatch(/^redis:7/);
      expect(script).toMatch(/sentinel monitor mymaster redis-master 6379 2'/);
      expect(script).toMatch(/--sentinel$/);
    }
  });

  it('points the real bins at those sentinels, with documented variables; only the API waits for a replica', () => {
    for (const name of ['api', 'worker']) {
      const service = services[name]!;
      expectRealCommand(service.command as string[]);
      const env = service.environment ?? {};
      for (const variable of Object.keys(env)) expect(documented).toContain(variable);
      if (name === 'worker') for (const variable of Object.keys(env)) expect(apiOnly).not.toContain(variable);
      expect(env.REDIS_URL).toBeUndefined();
      expect(addresses(env.REDIS_SENTINELS ?? '')).toEqual(sentinels.map((host) => ({ host, port: 26379 })));
      expect(env.REDIS_SENTINEL_NAME).toBe('mymaster');
    }
    // One replica must confirm: after a failover the other replica still can.
    expect(services.api!.environment!.HOTQ_WAIT_REPLICAS).toBe('1');
  });
});

describe('deploy/compose/cluster.yml', () => {
  const compose = parse(readFileSync(join(root, 'deploy/compose/cluster.yml'), 'utf8'), { merge: true });
  const services = compose.services as Record<string, { command: string[]; environment?: Record<string, string>; depends_on?: unknown }>;
  const nodes = Object.keys(services).filter((name) => /^redis-\d+$/.test(name));

  it('runs six cluster nodes and forms three masters with a replica each from all of them', () => {
    expect(nodes).toHaveLength(6);
    for (const name of nodes) {
      const command = services[name]!.command.join(' ');
      expect(command).toMatch(/--cluster-enabled yes/);
      expectSafeRedis(command);
    }
    const create = services['cluster-create']!.command.join(' ');
    expect(create).toMatch(/redis-cli --cluster create/);
    expect(create).toMatch(/--cluster-replicas 1 --cluster-yes/);
    expect(create).toContain(`for node in ${nodes.join(' ')};`);
  });

  it('points the real bins at the cluster, with documented variables', () => {
    for (const name of ['api', 'worker']) {
      const service = services[name]!;
      expectRealCommand(service.command);
      const env = service.environment ?? {};
      for (const variable of Object.keys(env)) expect(documented).toContain(variable);
      if (name === 'worker') for (const variable of Object.keys(env)) expect(apiOnly).not.toContain(variable);
      for (const seed of addresses(env.REDIS_CLUSTER_NODES ?? '')) {
        expect(nodes).toContain(seed.host);
        expect(seed.port).toBe(6379);
      }
    }
    expect(services.api!.depends_on).toMatchObject({ 'cluster-create': { condition: 'service_completed_successfully' } });
  });

  it('partitions the queue over the three masters, the API and the workers with the same count', () => {
    const api = services.api!.environment!.HOTQ_PARTITIONS;
    expect(api).toBe('6');
    expect(services.worker!.environment!.HOTQ_PARTITIONS).toBe(api);
  });
});

describe('deploy/kubernetes-sentinel', () => {
  const dir = join(root, 'deploy/kubernetes-sentinel');
  const objects = readdirSync(dir).flatMap((file) =>
    parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((doc) => doc.toJS()));
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

  it('runs three Redis pods with volumes and three sentinels with a quorum of 2, behind headless Services', () => {
    const redis = find('StatefulSet', 'hotq-redis');
    expect(redis.spec.replicas).toBe(3);
    expect(redis.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    const start = redis.spec.template.spec.containers[0].args.join('\n');
    expectSafeRedis(start);
    expect(start).toMatch(/sentinel get-master-addr-by-name mymaster/);
    const sentinel = find('StatefulSet', 'hotq-sentinel');
    expect(sentinel.spec.replicas).toBe(3);
    expect(sentinel.spec.template.spec.containers[0].args.join('\n')).toMatch(/sentinel monitor mymaster hotq-redis-0\.hotq-redis 6379 2/);
    for (const name of ['hotq-redis', 'hotq-sentinel']) expect(find('Service', name).spec.clusterIP).toBe('None');
  });

  it('runs the real bins, reaching every sentinel pod by its stable name; only the API waits for a replica', () => {
    const sentinels = find('StatefulSet', 'hotq-sentinel').spec.replicas as number;
    for (const name of ['hotq-api', 'hotq-worker']) {
      const container = find('Deployment', name).spec.template.spec.containers[0];
      expectRealCommand(container.command);
      const env = Object.fromEntries((container.env as Array<{ name: string; value: string }>).map((v) => [v.name, v.value]));
      for (const variable of Object.keys(env)) expect(documented).toContain(variable);
      if (name === 'hotq-worker') for (const variable of Object.keys(env)) expect(apiOnly).not.toContain(variable);
      expect(addresses(env.REDIS_SENTINELS ?? '')).toEqual(Array.from({ length: sentinels }, (_, i) => ({ host: `hotq-sentinel-${i}.hotq-sentinel`, port: 26379 })));
    }
    const api = find('Deployment', 'hotq-api').spec.template.spec.containers[0];
    expect(api.readinessProbe.httpGet.path).toBe('/readyz');
    expect(api.env.find((v: { name: string }) => v.name === 'HOTQ_WAIT_REPLICAS')?.value).toBe('1');
  });
});

describe('deploy/kubernetes-cluster', () => {
  const dir = join(root, 'deploy/kubernetes-cluster');
  const objects = readdirSync(dir).flatMap((file) =>
    parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((doc) => doc.toJS()));
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

  it('runs six cluster-enabled Redis pods with volumes behind a headless Service, and a Job that forms three masters with a replica each', () => {
    const redis = find('StatefulSet', 'hotq-redis');
    expect(redis.spec.replicas).toBe(6);
    expect(redis.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    const start = redis.spec.template.spec.containers[0].args.join('\n');
    expectSafeRedis(start);
    expect(start).toMatch(/--cluster-enabled yes --cluster-config-file \/data\/nodes\.conf/);
    expect(find('Service', 'hotq-redis').spec.clusterIP).toBe('None');
    const create = find('Job', 'hotq-redis-cluster-create').spec.template.spec.containers[0].args.join('\n');
    expect(create).toMatch(/--cluster-replicas 1 --cluster-yes/);
    expect(create).toMatch(/for i in 0 1 2 3 4 5/);
  });

  it('runs the real bins on the cluster with the same partition count; only the API waits for a replica', () => {
    const pods = find('StatefulSet', 'hotq-redis').spec.replicas as number;
    const counts: string[] = [];
    for (const name of ['hotq-api', 'hotq-worker']) {
      const container = find('Deployment', name).spec.template.spec.containers[0];
      expectRealCommand(container.command);
      const env = Object.fromEntries((container.env as Array<{ name: string; value: string }>).map((v) => [v.name, v.value]));
      for (const variable of Object.keys(env)) expect(documented).toContain(variable);
      if (name === 'hotq-worker') for (const variable of Object.keys(env)) expect(apiOnly).not.toContain(variable);
      for (const seed of addresses(env.REDIS_CLUSTER_NODES ?? '')) {
        expect(Number(/^hotq-redis-(\d+)\.hotq-redis$/.exec(seed.host)?.[1])).toBeLessThan(pods);
        expect(seed.port).toBe(6379);
      }
      counts.push(env.HOTQ_PARTITIONS ?? '1');
    }
    expect(counts).toEqual(['6', '6']);
    expect(find('Deployment', 'hotq-api').spec.template.spec.containers[0].env.find((v: { name: string }) => v.name === 'HOTQ_WAIT_REPLICAS')?.value).toBe('1');
  });
});
