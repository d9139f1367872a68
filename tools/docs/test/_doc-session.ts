// Runs shell as a reader's terminal would, for the executable-docs test: each command in bash, in
// a process group of its own (so Ctrl-C and the cleanup reach whatever it started in the
// background), stdout and stderr together as a terminal shows them.
import { spawn, type ChildProcess } from 'node:child_process';

/** A command started in a clone, its output so far and its end. */
export class Shell {
  output = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private ended = false;
  private closed = false;

  constructor(readonly script: string, cwd: string, env: NodeJS.ProcessEnv) {
    this.child = spawn('bash', ['-c', `exec 2>&1\n${script}`], { cwd, env, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    this.child.stdout?.once('close', () => (this.closed = true));
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => {
        this.ended = true;
        resolve(code);
      });
    });
  }

  get running(): boolean {
    return !this.ended;
  }

  /** Whether something it started still holds its output open (a background process). */
  get holding(): boolean {
    return !this.closed;
  }

  /**
   * Waits until `done(output)` holds or the command ends (with `afterExit`, until the output ends:
   * what it started in the background may still be printing); false when `ms` ran out first.
   */
  async until(done: (output: string) => boolean, ms: number, afterExit = false): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!done(this.output) && (this.running || (afterExit && !this.closed))) {
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return true;
  }

  /** Waits for the end (and the output still in the pipe); false when `ms` ran out first. */
  async end(ms: number): Promise<boolean> {
    const ended = await Promise.race([this.exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), ms))]);
    if (ended) await new Promise((resolve) => setTimeout(resolve, 50));
    return ended;
  }

  /** Ctrl-C, as a terminal sends it: SIGINT to the whole process group. */
  interrupt(): void {
    this.signal('SIGINT');
  }

  /** Ends the group, whatever is left of it (a command's background processes too). */
  kill(): void {
    this.signal('SIGKILL');
  }

  private signal(name: NodeJS.Signals): void {
    try {
      process.kill(-(this.child.pid as number), name);
    } catch {
      // The group is gone already.
    }
  }
}
