// Background work that must run on one replica only: started on winning the lease, stopped on losing it.

export interface LeaderTask {
  readonly name: string;
  start(): void;
  stop(): Promise<void> | void;
}

export class LeaderWork {
  private readonly tasks: LeaderTask[] = [];
  private running = false;

  constructor(private readonly onError: (task: string, err: unknown) => void) {}

  add(task: LeaderTask): void {
    this.tasks.push(task);
    if (this.running) this.startOne(task);
  }

  startedLeading(): void {
    if (this.running) return;
    this.running = true;
    for (const task of this.tasks) this.startOne(task);
  }

  /** Stops every task; a task that fails to stop does not keep the others running. */
  async stoppedLeading(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await Promise.all(
      this.tasks.map(async (task) => {
        try {
          await task.stop();
        } catch (err) {
          this.onError(task.name, err);
        }
      }),
    );
  }

  private startOne(task: LeaderTask): void {
    try {
      task.start();
    } catch (err) {
      this.onError(task.name, err);
    }
  }
}
