import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Whether `dir` holds the workspace root's package.json (the one with `workspaces`). */
function isWorkspaceRoot(dir: string): boolean {
  const manifest = join(dir, 'package.json');
  if (!existsSync(manifest)) return false;
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { workspaces?: unknown }).workspaces !== undefined;
}

/** The monorepo root: the nearest folder at or above `from` whose package.json declares workspaces. */
export function findRepoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (isWorkspaceRoot(dir)) return dir;
    if (dirname(dir) === dir) throw new Error(`no workspace root above ${from}: not inside the hotq repository`);
  }
}

/** Where each generated file lives, relative to the repository root (always with `/`). */
export const OUTPUT = {
  tutorial: 'docs/tutorial.md',
  httpReference: 'docs/reference/http.md',
  openApi: 'docs/reference/openapi.json',
  packagesDir: 'docs/reference/packages',
} as const;

/** The tutorial's snippets, relative to the repository root. */
export const EXAMPLES_DIR = 'tools/docs/examples';
