// Compiles the tutorial's examples the way a reader's build would, and runs them as processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';

export interface CompiledExamples {
  /** Where the .js files are (a temporary folder that resolves packages like the repository root). */
  readonly outDir: string;
  /** Type errors, formatted; empty when every example type-checks. */
  readonly diagnostics: string[];
  /** Removes the temporary folder. */
  dispose(): void;
}

/**
 * Type-checks tools/docs/examples with tsconfig.examples.json (strict, the repository's base
 * options) and emits them into a temporary folder whose node_modules is the repository's, so
 * `import '@hotq/queue-core'` resolves to the built package exactly as in the repository.
 */
export function compileExamples(docsFolder: string, repoRoot: string): CompiledExamples {
  const configPath = join(docsFolder, 'tsconfig.examples.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  });
  if (parsed === undefined) throw new Error(`cannot read ${configPath}`);
  const outDir = mkdtempSync(join(tmpdir(), 'hotq-examples-'));
  writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(join(repoRoot, 'node_modules'), join(outDir, 'node_modules'), 'dir');
  const program = ts.createProgram({
    rootNames: parsed.fileNames,
    options: { ...parsed.options, noEmit: false, outDir, sourceMap: false, declaration: false, declarationMap: false },
  });
  const host: ts.FormatDiagnosticsHost = {
    getCanonicalFileName: (fileName) => fileName,
    getCurrentDirectory: () => docsFolder,
    getNewLine: () => '\n',
  };
  const emitted = program.emit();
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].map((diagnostic) =>
    ts.formatDiagnostic(diagnostic, host).trim(),
  );
  return { outDir, diagnostics, dispose: () => rmSync(outDir, { recursive: true, force: true }) };
}

/** A process started by a test: its output so far, waits on it, and its end. */
export class Run {
  stdout = '';
  stderr = '';
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  private readonly label: string;
  private readonly waiters = new Set<() => void>();

  constructor(command: string, args: string[], env: Record<string, string>) {
    this.label = [command, ...args].join(' ');
    this.child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      for (const wake of this.waiters) wake();
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('exit', (code) => {
        for (const wake of this.waiters) wake();
        resolve(code);
      });
    });
  }

  /** Resolves with the first match of `pattern` in stdout; rejects when the process ends or time runs out. */
  async waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this.stdout.match(pattern);
      if (match) return match;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`${this.label}: no ${pattern} in its output (exit ${this.child.exitCode})\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      }
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(0, Math.min(250, deadline - Date.now())));
        this.waiters.add(wake);
      });
    }
  }

  /** Waits for the process to end (killing it after `timeoutMs`) and gives its exit code. */
  async exit(timeoutMs = 20_000): Promise<number | null> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ctrl-C. */
  interrupt(): void {
    this.child.kill('SIGINT');
  }

  /** Ends it if it still runs (cleanup after a failed test). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  /** Output for an assertion message. */
  describe(): string {
    return `${this.label}\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`;
  }
}
