import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { renderHttpReference } from './http-reference.js';
import { fetchOpenApiDocument } from './openapi-document.js';
import { generatePackageReference } from './package-reference.js';
import { EXAMPLES_DIR, OUTPUT } from './paths.js';
import { renderTutorial, snippetNames } from './tutorial.js';

/** Generated files: path from the repository root (with `/`) to content. */
export type GeneratedFiles = Map<string, string>;

const read = (root: string, path: string): string | undefined => {
  const file = join(root, path);
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
};

/** The example files (the tutorial's snippets), sorted. */
export function exampleFiles(root: string): string[] {
  return readdirSync(join(root, EXAMPLES_DIR)).filter((name) => /\.(ts|py|sh)$/.test(name)).sort();
}

/** The tutorial with its snippets brought up to date; every example must appear in it. */
export function generateTutorial(root: string): string {
  const markdown = read(root, OUTPUT.tutorial);
  if (markdown === undefined) throw new Error(`${OUTPUT.tutorial} is missing: it is the template the snippets are put into`);
  const unused = exampleFiles(root).filter((name) => !snippetNames(markdown).includes(name));
  if (unused.length > 0) throw new Error(`${OUTPUT.tutorial} includes no snippet for ${unused.join(', ')} (every example is shown)`);
  return renderTutorial(markdown, (name) => read(root, `${EXAMPLES_DIR}/${name}`));
}

/**
 * Everything `npm run docs` writes: the tutorial's snippets, the HTTP reference and the OpenAPI
 * document (from an API on `redisUrl`, a throwaway server), and the package reference (from the
 * packages' builds). Deterministic: the same sources give the same bytes.
 */
export async function generateDocs(root: string, redisUrl: string): Promise<GeneratedFiles> {
  const files: GeneratedFiles = new Map();
  files.set(OUTPUT.tutorial, generateTutorial(root));
  const document = await fetchOpenApiDocument(redisUrl);
  files.set(OUTPUT.openApi, `${JSON.stringify(document, null, 2)}\n`);
  files.set(OUTPUT.httpReference, renderHttpReference(document));
  for (const [path, content] of generatePackageReference(root)) files.set(path, content);
  return files;
}

/** Files under the folder the generator owns whole (docs/reference/packages), from the root. */
function ownedFiles(root: string): string[] {
  const folder = join(root, OUTPUT.packagesDir);
  return existsSync(folder) ? readdirSync(folder).sort().map((name) => `${OUTPUT.packagesDir}/${name}`) : [];
}

/**
 * How the files on disk differ from `files`: one line per file that is missing, different, or
 * left over in the generated folder. Empty when the committed docs are current.
 */
export function staleFiles(root: string, files: GeneratedFiles): string[] {
  const problems: string[] = [];
  for (const [path, content] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    const current = read(root, path);
    if (current === undefined) problems.push(`missing: ${path}`);
    else if (current !== content) problems.push(`out of date: ${path}`);
  }
  for (const path of ownedFiles(root)) if (!files.has(path)) problems.push(`no longer generated: ${path}`);
  return problems;
}

/** Writes `files` and removes what the generated folder holds beyond them; returns what changed. */
export function writeDocs(root: string, files: GeneratedFiles): string[] {
  const changed = staleFiles(root, files);
  for (const path of ownedFiles(root)) if (!files.has(path)) rmSync(join(root, path));
  for (const [path, content] of files) {
    if (read(root, path) === content) continue;
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return changed;
}
