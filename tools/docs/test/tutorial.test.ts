import { describe, expect, it } from 'vitest';
import { fence, renderTutorial, snippetNames } from '../src/tutorial.js';

const sources: Record<string, string> = {
  'a.ts': "console.log('a');\n",
  'b.py': 'print("b")\n\n\n',
  'c.sh': 'echo c\n',
};
const read = (name: string): string | undefined => sources[name];

describe('the tutorial generator', () => {
  it('puts each example, verbatim, between its markers, whatever was there', () => {
    const template = ['# T', '<!-- snippet: a.ts -->', 'stale text', '<!-- /snippet -->', 'between', '<!-- snippet: b.py -->', '<!-- /snippet -->', ''].join('\n');
    expect(renderTutorial(template, read)).toBe(
      ['# T', '<!-- snippet: a.ts -->', '```ts', "console.log('a');", '```', '<!-- /snippet -->', 'between', '<!-- snippet: b.py -->', '```python', 'print("b")', '```', '<!-- /snippet -->', ''].join('\n'),
    );
  });

  it('is idempotent: rendering its own output changes nothing', () => {
    const once = renderTutorial('<!-- snippet: c.sh -->\n<!-- /snippet -->\n', read);
    expect(renderTutorial(once, read)).toBe(once);
  });

  it('refuses a marker that names no file, and one that is never closed', () => {
    expect(() => renderTutorial('<!-- snippet: missing.ts -->\n<!-- /snippet -->', read)).toThrow(/missing\.ts names no file/);
    expect(() => renderTutorial('<!-- snippet: a.ts -->\nno end', read)).toThrow(/closed/);
  });

  it('lists the snippets in order', () => {
    expect(snippetNames('<!-- snippet: b.py -->\n<!-- /snippet -->\n<!-- snippet: a.ts -->\n<!-- /snippet -->')).toEqual(['b.py', 'a.ts']);
  });

  it('uses a longer fence when the example holds one, and refuses unknown languages', () => {
    expect(fence('x.ts', 'const md = "```";\n')).toBe('````ts\nconst md = "```";\n````');
    expect(() => fence('x.rb', 'puts 1')).toThrow(/no language/);
  });
});
