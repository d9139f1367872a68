import { extname } from 'node:path';

// A snippet in the tutorial sits between these markers; the generator rewrites what is between
// them with the example file, verbatim, in a fenced block:
//
//   <!-- snippet: hotqueue-producer.ts -->
//   ...anything, replaced...
//   <!-- /snippet -->
const SNIPPET = /<!-- snippet: ([A-Za-z0-9._-]+) -->\n[\s\S]*?<!-- \/snippet -->/g;
const OPENING = /<!-- snippet: ([^>]*?) -->/g;

const LANGUAGES: Record<string, string> = { '.ts': 'ts', '.py': 'python', '.sh': 'sh' };

/** The fenced block for one example file. */
export function fence(name: string, source: string): string {
  const language = LANGUAGES[extname(name)];
  if (language === undefined) throw new Error(`snippet ${name}: no language for ${extname(name) || 'a file without extension'}`);
  const body = source.replace(/\r\n/g, '\n').replace(/\n+$/, '');
  let ticks = '```';
  while (body.includes(ticks)) ticks += '`';
  return `${ticks}${language}\n${body}\n${ticks}`;
}

/** The names of the snippets a tutorial includes, in order. */
export function snippetNames(markdown: string): string[] {
  return [...markdown.matchAll(OPENING)].map((match) => match[1] as string);
}

/**
 * The tutorial with every snippet replaced by its example file. Throws for a marker that is not
 * closed, names no file, or names a file `read` cannot find.
 */
export function renderTutorial(markdown: string, read: (name: string) => string | undefined): string {
  const openings = snippetNames(markdown);
  const blocks = [...markdown.matchAll(SNIPPET)];
  if (blocks.length !== openings.length) {
    throw new Error(`tutorial: ${openings.length} snippet markers but ${blocks.length} closed ones (each needs <!-- /snippet --> after it)`);
  }
  return markdown.replace(SNIPPET, (_block, name: string) => {
    const source = read(name);
    if (source === undefined) throw new Error(`tutorial: snippet ${name} names no file in the examples folder`);
    return `<!-- snippet: ${name} -->\n${fence(name, source)}\n<!-- /snippet -->`;
  });
}
