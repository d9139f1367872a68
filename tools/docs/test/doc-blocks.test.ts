import { describe, expect, it } from 'vitest';
import { docBlocks, normalize, outputMatches, transcriptSteps } from '../src/doc-blocks.js';

const page = [
  '# Title',
  '## Run',
  '```sh',
  'npm ci',
  '```',
  '<!-- docs-test: serve "is up" -->',
  '```sh',
  'npm start',
  '```',
  '<!-- docs-test: skip needs Docker -->',
  '```sh',
  'docker compose up',
  '```',
  '```text',
  '$ node a.js',
  'hello',
  '^C',
  '```',
  '```text',
  'not a transcript',
  '```',
  '<!-- snippet: x.sh -->',
  '```sh',
  'echo from a file',
  '```',
  '<!-- /snippet -->',
].join('\n');

describe('docBlocks', () => {
  it('finds scripts and transcripts with their directives, and leaves out snippets and plain text', () => {
    expect(docBlocks(page)).toEqual([
      { line: 3, heading: 'Run', kind: 'script', body: 'npm ci' },
      { line: 7, heading: 'Run', kind: 'script', body: 'npm start', serveUntil: 'is up' },
      { line: 11, heading: 'Run', kind: 'script', body: 'docker compose up', skip: 'needs Docker' },
      { line: 14, heading: 'Run', kind: 'transcript', body: '$ node a.js\nhello\n^C' },
    ]);
  });

  it('refuses a directive it cannot read, or one before a block it would not run', () => {
    expect(() => docBlocks('<!-- docs-test: sometimes -->\n```sh\nx\n```')).toThrow(/line 1: cannot read/);
    expect(() => docBlocks('<!-- docs-test: skip why -->\n```ts\nx\n```')).toThrow(/not a script or a transcript/);
    expect(() => docBlocks('<!-- docs-test: serve unquoted -->\n```sh\nx\n```')).toThrow(/double quotes/);
  });
});

describe('transcriptSteps', () => {
  it('splits commands, their output, continuation lines and Ctrl-C presses', () => {
    expect(transcriptSteps('$ a \\\n  --flag\none\n\n$ b\n^C\n^C')).toEqual([
      { command: 'a \\\n  --flag', expected: ['one'], ctrlC: 0 },
      { command: 'b', expected: [], ctrlC: 2 },
    ]);
    expect(() => transcriptSteps('$ a\n^C\nmore')).toThrow(/output after \^C/);
  });
});

describe('outputMatches', () => {
  it('holds for the same output, ids, times and worker names aside', () => {
    const doc = ['{"id":"01M8FVVRXXRER3QJ4ZMSV7PSTG","at":"2026-11-28T01:21:08.037Z","worker":"vm-24412-18c9f2"}', 'again 01M8FVVRXXRER3QJ4ZMSV7PSTG'];
    expect(outputMatches(doc, '{"id":"01KBR9XQ0ZJ3C2Y8N4T6V5W7AB","at":"2027-01-02T03:04:05.006Z","worker":"ci-7-abcdef"}\nagain 01KBR9XQ0ZJ3C2Y8N4T6V5W7AB\n')).toBe(true);
    expect(normalize('01KBR9XQ0ZJ3C2Y8N4T6V5W7AB 01M8FVVRXXRER3QJ4ZMSV7PSTG')).toBe('<id1> <id2>');
  });

  it('fails when a line, a number or "the same id" differs, or when lines are missing or extra', () => {
    expect(outputMatches(['5 items waiting'], '6 items waiting\n')).toBe(false);
    expect(outputMatches(['a', 'b'], 'a\n')).toBe(false);
    expect(outputMatches(['a'], 'a\nb\n')).toBe(false);
    expect(outputMatches(['01M8FVVRXXRER3QJ4ZMSV7PSTG', '01M8FVVRXXRER3QJ4ZMSV7PSTG'], '01KBR9XQ0ZJ3C2Y8N4T6V5W7AB\n01KBR9XQ0ZJ3C2Y8N4T6V5W7AC\n')).toBe(false);
    expect(outputMatches([], 'anything\n')).toBe(false);
  });

  it('takes ... for any text in a line, and a line of ... for any lines', () => {
    expect(outputMatches(['{"a":1,...}', '...', 'end'], '{"a":1,"b":2}\nx\ny\nend\n')).toBe(true);
    expect(outputMatches(['{"a":1,...}', '...', 'end'], '{"a":1,"b":2}\nend\n')).toBe(true);
    expect(outputMatches(['{"a":2,...}'], '{"a":1,"b":2}\n')).toBe(false);
    expect(outputMatches([], '')).toBe(true);
  });
});
