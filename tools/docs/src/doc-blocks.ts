// Reads the shell blocks of a Markdown page for the executable-docs test (test/executable-docs.test.ts).
//
// A ```sh block is a script. A ```text block whose first line starts with `$ ` is a transcript:
// `$ command` lines, each followed by the output the docs promise, and `^C` where the reader presses
// Ctrl-C. A comment right before a block changes how it runs:
//   <!-- docs-test: skip REASON -->       not run here; the test names it and the reason
//   <!-- docs-test: serve "TEXT" -->      runs in the background, once it printed TEXT, until the
//                                         next heading, then gets Ctrl-C
// Blocks inside <!-- snippet --> markers are example files, run by the transcripts that name them.

/** One block the test considers. */
export interface DocBlock {
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The nearest heading above it. */
  readonly heading: string;
  readonly kind: 'script' | 'transcript';
  readonly body: string;
  readonly skip?: string;
  readonly serveUntil?: string;
}

/** One command of a transcript and what it should print. */
export interface Step {
  readonly command: string;
  /** The expected output lines (`...` alone: any lines; `...` in a line: any text). */
  readonly expected: string[];
  /** How many times the reader presses Ctrl-C after the output (each to the last command still running). */
  readonly ctrlC: number;
}

const DIRECTIVE = /^<!-- docs-test: (skip|serve) (.+?) -->$/;

/** The script and transcript blocks of a page, in order. Throws on a directive it cannot read. */
export function docBlocks(markdown: string): DocBlock[] {
  const lines = markdown.split('\n');
  const blocks: DocBlock[] = [];
  let heading = '';
  let inSnippet = false;
  let directive: { kind: string; value: string } | undefined;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] as string;
    if (/^#{1,6} /.test(line)) heading = line.replace(/^#+ /, '');
    if (line.startsWith('<!-- snippet:')) inSnippet = true;
    if (line.startsWith('<!-- /snippet')) inSnippet = false;
    if (line.startsWith('<!-- docs-test:')) {
      const match = DIRECTIVE.exec(line);
      if (!match) throw new Error(`line ${i + 1}: cannot read ${line} (expected "skip REASON" or 'serve "TEXT"')`);
      directive = { kind: match[1] as string, value: match[2] as string };
      continue;
    }
    const fence = /^(`{3,})(\w*)$/.exec(line);
    if (!fence) {
      if (line.trim() !== '') directive = undefined;
      continue;
    }
    const end = lines.indexOf(fence[1] as string, i + 1);
    if (end < 0) throw new Error(`line ${i + 1}: a code block that is never closed`);
    const body = lines.slice(i + 1, end).join('\n');
    const language = fence[2];
    const kind = language === 'sh' ? 'script' : language === 'text' && body.startsWith('$ ') ? 'transcript' : undefined;
    if (kind && !inSnippet) {
      const skip = directive?.kind === 'skip' ? directive.value : undefined;
      const serve = directive?.kind === 'serve' ? /^"(.+)"$/.exec(directive.value)?.[1] : undefined;
      if (directive?.kind === 'serve' && serve === undefined) throw new Error(`line ${i + 1}: serve needs the text to wait for, in double quotes`);
      blocks.push({ line: i + 1, heading, kind, body, ...(skip ? { skip } : {}), ...(serve ? { serveUntil: serve } : {}) });
    } else if (directive) {
      throw new Error(`line ${i + 1}: a docs-test directive before a block that is not a script or a transcript`);
    }
    directive = undefined;
    i = end;
  }
  return blocks;
}

/** The steps of a transcript. A command may go on over lines ending in `\`. */
export function transcriptSteps(body: string): Step[] {
  const steps: { command: string; expected: string[]; ctrlC: number }[] = [];
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    let line = lines[i] as string;
    if (line.startsWith('$ ')) {
      let command = line.slice(2);
      while (command.endsWith('\\') && i + 1 < lines.length) command = `${command}\n${lines[(i += 1)] as string}`;
      steps.push({ command, expected: [], ctrlC: 0 });
      continue;
    }
    const step = steps.at(-1);
    if (!step) throw new Error('a transcript starts with a `$ ` command');
    if (line === '^C') step.ctrlC += 1;
    else if (step.ctrlC > 0) throw new Error(`output after ^C of \`${step.command}\`: ${line}`);
    else step.expected.push((line = line.trimEnd()));
  }
  for (const step of steps) while (step.expected.at(-1) === '') step.expected.pop();
  return steps;
}

const ULID = /\b[0-9A-HJKMNP-TV-Z]{26}\b/g;
const ISO_TIME = /\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z\b/g;
const WORKER_ID = /\b[A-Za-z0-9.]+(?:-[A-Za-z0-9.]+)*-\d+-[0-9a-f]{6}\b/g;

/**
 * Output with what differs from run to run replaced: job ids (numbered in order of appearance, so
 * "the same id again" still has to hold), ISO times and worker names.
 */
export function normalize(text: string): string {
  const ids = new Map<string, string>();
  return text
    .replace(ULID, (id) => ids.get(id) ?? (ids.set(id, `<id${ids.size + 1}>`), `<id${ids.size}>`))
    .replace(ISO_TIME, '<time>')
    .replace(WORKER_ID, '<worker>');
}

/** Whether `actual` output is what `expected` lines say, after {@link normalize} of both. */
export function outputMatches(expected: readonly string[], actual: string): boolean {
  const want = expected.length === 0 ? [] : normalize(expected.join('\n')).split('\n');
  const pattern = want
    .map((line) => (line === '...' ? '(?:[^\\n]*\\n)*?' : `${line.split('...').map(escape).join('[^\\n]*')}\\n`))
    .join('');
  return new RegExp(`^${pattern}$`).test(`${normalize(actual.replace(/\n+$/, ''))}\n`.replace(/^\n$/, ''));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
