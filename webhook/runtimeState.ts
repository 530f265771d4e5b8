// What the process knows beyond configuration: the threshold in force, leadership, counts for the status page.
import type { RecentMigration } from './server/statusPage.js';

const RECENT_MIGRATIONS = 20;

export class RuntimeState {
  /** The threshold in force: configured, or set by the tuner in apply mode. */
  thresholdG: number;
  leader = false;
  gatedPods = 0;
  co2SavedKg = 0;
  private migrations: RecentMigration[] = [];

  constructor(baseThresholdG: number) {
    this.thresholdG = baseThresholdG;
  }

  recordMigrations(items: readonly RecentMigration[]): void {
    this.migrations = [...items, ...this.migrations].slice(0, RECENT_MIGRATIONS);
  }

  recentMigrations(): readonly RecentMigration[] {
    return this.migrations;
  }
}
