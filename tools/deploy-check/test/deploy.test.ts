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
const documented = new Set(['REDIS_URL', 'HOTQ_PREFIX', 'HOTQ_QUEUE', 'PORT', 'HOST', 'HOTQ_API_TOKEN', 'HOTQ_API_READ_TOKEN', 'HOTQ_CONCURRENCY']);

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
