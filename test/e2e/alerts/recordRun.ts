// Runs carbon-kube in this process (webhook/start.ts, as webhook/main.ts does) on a virtual clock
// against a real cluster, scraping its /metrics at a fixed virtual interval for hours of virtual time.
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '../../../webhook/log.js';
import { loadSettings } from '../../../webhook/main.js';
import { startWebhook, type RunningWebhook } from '../../../webhook/start.js';
import { InFlightRequests } from './ioQuiescence.js';
import { MetricsRecorder, type Labels, type RecordedSeries } from './metricsRecorder.js';
import { VirtualClock } from './virtualClock.js';

export interface RunSpec {
  /** Names the log file. */
  name: string;
  /** The container's whole environment (nothing is read from this process's own). */
  env: Record<string, string>;
  kubeConfig: KubeConfig;
  /** First virtual instant (the first scrape is there). */
  startMs: number;
  durationMs: number;
  scrapeEveryMs: number;
  /** Target labels Prometheus adds (instance, job). */
  targetLabels: Labels;
  /** Where the process's log goes. */
  dir: string;
  /** Other targets scraped at the same instants (the apiserver's admission webhook metrics). */
  otherTargets?: ScrapeTarget[];
  /**
   * Called at each scrape instant, before the scrape, with the virtual time since the start;
   * virtual time holds still until it resolves (it may create pods, change a fake API...).
   */
  beforeScrape?: (sinceStartMs: number) => Promise<void> | void;
}

export interface ScrapeTarget {
  scrape(): Promise<string>;
  labels: Labels;
  keep(name: string): boolean;
}

export interface RunFigures {
  virtualHours: number;
  realSeconds: number;
  scrapes: number;
  timersFired: number;
  /** Where the real time went (see VirtualClock). */
  realMs: { io: number; timers: number; stops: number };
  /** Poll rounds the process completed after it came up (its table listeners were told). */
  pollRounds: number;
}

export interface RecordedRun {
  /** carbon-kube's own series. */
  recorder: MetricsRecorder;
  /** Every target's series, carbon-kube's first. */
  series: RecordedSeries[];
  figures: RunFigures;
  logFile: string;
}

/** The rules read carbon-kube's own metrics; the process defaults (carbon_kube_process_*) are left out. */
const keepMetric = (name: string): boolean => name.startsWith('carbon_kube_') && !name.startsWith('carbon_kube_process_');

export async function recordRun(spec: RunSpec): Promise<RecordedRun> {
  const settings = loadSettings(spec.env);
  const logFile = join(spec.dir, `${spec.name}.log`);
  const logStream = createWriteStream(logFile);
  const log = createLogger('webhook', 'info', (line) => void logStream.write(`${line}\n`));
  const io = InFlightRequests.start();
  const realStart = performance.now();
  const clock = VirtualClock.install(spec.startMs, io);
  let webhook: RunningWebhook | undefined;
  try {
    webhook = await startWebhook(settings.webhook, { log, env: spec.env, cluster: spec.kubeConfig, controllers: settings.controllers });
    const running = webhook;
    const recorder = new MetricsRecorder(`http://127.0.0.1:${running.metricsPort}/metrics`, spec.targetLabels, keepMetric, spec.startMs / 1000);
    const others = (spec.otherTargets ?? []).map((t) => new MetricsRecorder(() => t.scrape(), t.labels, (n) => t.keep(n), spec.startMs / 1000));
    let pollRounds = 0;
    let counting = false;
    const run = await clock.runUntil(spec.startMs + spec.durationMs, {
      everyMs: spec.scrapeEveryMs,
      onStop: async (now) => {
        if (!counting && running.poller) {
          running.poller.onTable(() => (pollRounds += 1));
          counting = true;
        }
        await spec.beforeScrape?.(now - spec.startMs);
        await recorder.scrape();
        for (const other of others) await other.scrape();
      },
    });
    const figures: RunFigures = {
      virtualHours: spec.durationMs / 3_600_000,
      realSeconds: Math.round((performance.now() - realStart) / 100) / 10,
      scrapes: recorder.scrapeCount(),
      timersFired: run.timersFired,
      realMs: run.realMs,
      pollRounds,
    };
    return { recorder, series: [recorder, ...others].flatMap((r) => r.recorded()), figures, logFile };
  } finally {
    // Real time again before stopping: the drain and the lease hand-back wait on timers.
    clock.uninstall();
    io.stop();
    await webhook?.stop(0);
    await new Promise<void>((resolve) => logStream.end(resolve));
  }
}
