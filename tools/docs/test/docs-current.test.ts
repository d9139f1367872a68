// The committed docs are what `npm run docs` writes from the code as it is now: a change to a
// package's surface, to the API's routes or to an example fails here until the docs are regenerated.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { generateDocs, staleFiles, type GeneratedFiles } from '../src/generate.js';
import { findRepoRoot, OUTPUT } from '../src/paths.js';

const root = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
let files: GeneratedFiles;

beforeAll(async () => {
  files = await generateDocs(root, inject('redisUrl'));
});

describe('generated docs', () => {
  it('are current: `npm run docs` would change nothing', () => {
    expect(staleFiles(root, files), 'the docs are out of date: run `npm run docs` and commit the result').toEqual([]);
  });

  it('cover the tutorial, the HTTP reference, the OpenAPI document and every package', () => {
    for (const path of [OUTPUT.tutorial, OUTPUT.httpReference, OUTPUT.openApi, `${OUTPUT.packagesDir}/index.md`]) {
      expect(files.has(path), path).toBe(true);
    }
    for (const name of ['api', 'jobs-store', 'queue-core', 'worker']) {
      expect(files.has(`${OUTPUT.packagesDir}/${name}.md`), name).toBe(true);
    }
  });

  it('carry no timestamps or absolute paths of this machine', () => {
    for (const [path, content] of files) {
      expect(content, path).not.toContain(root);
      expect(content, path).not.toMatch(/generated (on|at) \d{4}-\d\d-\d\d/i);
    }
  });

  it('link only to files that exist, and to anchors those files have', () => {
    const broken: string[] = [];
    const read = (path: string): string | undefined => {
      if (files.has(path)) return files.get(path);
      const file = join(root, path);
      return existsSync(file) && statSync(file).isFile() ? readFileSync(file, 'utf8') : undefined;
    };
    for (const [path, content] of files) {
      if (!path.endsWith('.md')) continue;
      // Links in prose only: fenced blocks and inline code go first.
      const prose = content.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
      for (const [, target = ''] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        const [file = '', anchor] = target.split('#', 2);
        const linked = file === '' ? path : relative(root, resolve(root, dirname(path), file));
        if (!files.has(linked) && !existsSync(join(root, linked))) broken.push(`${path}: ${target}`);
        else if (anchor !== undefined && !(read(linked) ?? '').includes(`id="${anchor}"`)) broken.push(`${path}: ${target} (no such anchor)`);
      }
    }
    expect(broken).toEqual([]);
  });
});
