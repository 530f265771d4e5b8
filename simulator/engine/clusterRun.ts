// The event loop of one policy on the cluster: arrivals, gate releases, finishes, migrator ticks.
import type { V1Pod } from '@kubernetes/client-node';
import type { SimNode } from '../cluster/simCluster.js';
import type { EnergyLedger } from '../energy/ledger.js';
import type { Job } from '../inputs/workload.js';
import { schedulingRequestOf, selectNode, type SchedulingRequest } from '../scheduler/kubeScheduler.js';
import type { Random } from '../scheduler/random.js';
import { MinHeap } from './minHeap.js';
import type { Eviction, PolicySteps, RunningJob } from './steps.js';

export interface RunOutcome {
  /** Jobs that ran to completion. */
  jobs: number;
  /** Jobs still waiting or running when events ran out (a pod no node can ever take). */
  unfinished: number;
  migrations: number;
  /** Deferrable jobs that started after arrival + max delay. */
  deadlineMisses: number;
  /** Sum over finished jobs of (first start - arrival), ms. */
  totalDelayMs: number;
  maxDelayMs: number;
  /** Jobs that found no room at least once and waited in the queue. */
  queuedJobs: number;
  /** Sum over finished jobs of (finish - arrival - duration), ms: waits plus work redone after evictions. */
  totalFinishDelayMs: number;
  /** Work thrown away by evictions that restart a job from scratch, core-seconds. */
  lostCoreSeconds: number;
}

export function emptyOutcome(): RunOutcome {
  return { jobs: 0, unfinished: 0, migrations: 0, deadlineMisses: 0, totalDelayMs: 0, maxDelayMs: 0, queuedJobs: 0, totalFinishDelayMs: 0, lostCoreSeconds: 0 };
}

export interface RunOptions {
  random: Random;
  /** Called with the number of finished jobs, now and then. */
  onProgress?: (finished: number) => void;
  /** Called at every placement (first start or restart after an eviction). */
  onPlace?: (job: Job, node: number, now: number) => void;
}

interface Finish {
  jobIndex: number;
  token: number;
}

const PROGRESS_EVERY = 2000;

export function runCluster(jobs: readonly Job[], nodes: SimNode[], steps: PolicySteps, ledger: EnergyLedger, options: RunOptions): RunOutcome {
  return new ClusterRun(jobs, nodes, steps, ledger, options).run();
}

class ClusterRun {
  private readonly requests: (SchedulingRequest | undefined)[];
  /** Gated pods waiting for their release, for the release step to look at. */
  private readonly gated = new Map<number, V1Pod>();
  private readonly firstStart: Float64Array;
  private readonly tokens: Int32Array;
  /** Work left for each job the next time it is placed (ms). */
  private readonly remaining: Float64Array;
  private readonly running = new Map<number, RunningJob>();
  private readonly finishes = new MinHeap<Finish>();
  private readonly releases = new MinHeap<number>();
  private queue: number[] = [];
  private readonly wasQueued = new Set<number>();
  private nextArrival = 0;
  private nextMigration: number;
  private readonly out: RunOutcome = emptyOutcome();

  constructor(
    private readonly jobs: readonly Job[],
    private readonly nodes: SimNode[],
    private readonly steps: PolicySteps,
    private readonly ledger: EnergyLedger,
    private readonly options: RunOptions,
  ) {
    this.requests = new Array<SchedulingRequest | undefined>(jobs.length);
    this.firstStart = new Float64Array(jobs.length).fill(NaN);
    this.tokens = new Int32Array(jobs.length);
    this.remaining = Float64Array.from(jobs, (j) => j.durationMs);
    const first = jobs[0]?.arrivalMs ?? Infinity;
    this.nextMigration = steps.migrator ? first + steps.migrator.periodMs : Infinity;
  }

  run(): RunOutcome {
    for (let t = this.nextEventTime(); t !== Infinity; t = this.nextEventTime()) {
      let freed = this.finishUntil(t);
      if (this.nextMigration <= t) freed = this.migrate(t) || freed;
      if (freed && this.queue.length > 0) this.retryQueue(t);
      while (this.releases.peekTime() <= t) this.releaseGate(this.releases.pop()!, t);
      while (this.nextArrival < this.jobs.length && this.jobs[this.nextArrival]!.arrivalMs <= t) this.arrive(this.jobs[this.nextArrival++]!, t);
    }
    this.out.unfinished = this.jobs.length - this.out.jobs;
    this.out.queuedJobs = this.wasQueued.size;
    return this.out;
  }

  private nextEventTime(): number {
    const arrival = this.nextArrival < this.jobs.length ? this.jobs[this.nextArrival]!.arrivalMs : Infinity;
    const busy = arrival !== Infinity || this.running.size > 0 || this.releases.size > 0;
    if (!busy) this.nextMigration = Infinity;
    return Math.min(arrival, this.releases.peekTime(), this.finishes.peekTime(), this.nextMigration);
  }

  /** A new pod of the job (at arrival, or its controller's replacement after an eviction): admission, then its gate. */
  private arrive(job: Job, now: number): void {
    const pod = this.steps.admit(job, now);
    this.requests[job.index] = schedulingRequestOf(pod);
    const release = this.steps.gate ? this.steps.gate(job, pod, now) : now;
    if (release > now) {
      this.releases.push(release, job.index);
      if (this.steps.release) this.gated.set(job.index, pod);
    } else this.schedule(job.index, now);
  }

  /** A gated pod's release time came: the release step may hold it a while longer. */
  private releaseGate(jobIndex: number, now: number): void {
    const pod = this.gated.get(jobIndex);
    const later = pod && this.steps.release ? this.steps.release(this.jobs[jobIndex]!, pod, this.nodes, now) : now;
    if (later > now) {
      this.releases.push(later, jobIndex);
      return;
    }
    this.gated.delete(jobIndex);
    this.schedule(jobIndex, now);
  }

  /** One scheduling attempt; a pod that fits nowhere joins the back of the queue. */
  private schedule(jobIndex: number, now: number): void {
    if (!this.tryPlace(jobIndex, now)) {
      this.queue.push(jobIndex);
      this.wasQueued.add(jobIndex);
    }
  }

  private tryPlace(jobIndex: number, now: number): boolean {
    const req = this.requests[jobIndex]!;
    const node = selectNode(req, this.nodes, this.options.random);
    if (node < 0) return false;
    const job = this.jobs[jobIndex]!;
    this.nodes[node]!.allocatedMillis += req.cpuMillis;
    if (Number.isNaN(this.firstStart[jobIndex]!)) this.recordStart(job, now);
    const remainingMs = this.remaining[jobIndex]!;
    this.running.set(jobIndex, { job, node, since: now, remainingMs });
    this.finishes.push(now + remainingMs, { jobIndex, token: this.tokens[jobIndex]! });
    this.steps.migrator?.placed?.(job, this.nodes[node]!, now);
    this.options.onPlace?.(job, node, now);
    return true;
  }

  private recordStart(job: Job, now: number): void {
    this.firstStart[job.index] = now;
    const delay = now - job.arrivalMs;
    this.out.totalDelayMs += delay;
    this.out.maxDelayMs = Math.max(this.out.maxDelayMs, delay);
    if (job.maxDelayMs > 0 && delay > job.maxDelayMs) this.out.deadlineMisses += 1;
  }

  private finishUntil(t: number): boolean {
    let freed = false;
    while (this.finishes.peekTime() <= t) {
      const f = this.finishes.pop()!;
      if (f.token !== this.tokens[f.jobIndex]) continue; // the job was evicted since
      const run = this.running.get(f.jobIndex)!;
      const end = run.since + run.remainingMs;
      this.release(run, end);
      this.out.totalFinishDelayMs += end - run.job.arrivalMs - run.job.durationMs;
      this.running.delete(f.jobIndex);
      this.requests[f.jobIndex] = undefined;
      this.out.jobs += 1;
      if (this.out.jobs % PROGRESS_EVERY === 0) this.options.onProgress?.(this.out.jobs);
      freed = true;
    }
    return freed;
  }

  /** Books the run so far and gives its CPU back. */
  private release(run: RunningJob, until: number): void {
    const node = this.nodes[run.node]!;
    const cpu = this.requests[run.job.index]!.cpuMillis;
    this.ledger.addRun(node.zoneIndex, cpu, run.since, until);
    node.allocatedMillis -= cpu;
  }

  private migrate(now: number): boolean {
    const migrator = this.steps.migrator!;
    this.nextMigration = now + migrator.periodMs;
    const evictions = migrator.run({ nodes: this.nodes, running: this.running }, now);
    for (const e of evictions) this.evict(e, now);
    return evictions.length > 0;
  }

  /**
   * The pod is deleted and its controller creates a new one, which goes through admission again
   * (webhook and gate: a deferrable job's replacement may be gated like any new pod).
   */
  private evict(e: Eviction, now: number): void {
    const run = this.running.get(e.jobIndex);
    if (!run) return;
    const cpu = this.requests[e.jobIndex]!.cpuMillis;
    this.release(run, now);
    this.running.delete(e.jobIndex);
    this.tokens[e.jobIndex]! += 1;
    this.out.migrations += 1;
    const left = Math.max(0, run.remainingMs - (now - run.since));
    const next = Math.max(0, e.remainingMs ?? left);
    this.out.lostCoreSeconds += (Math.max(0, next - left) / 1000) * (cpu / 1000);
    this.remaining[e.jobIndex] = next;
    this.arrive(run.job, now);
  }

  /** FIFO over the waiting pods; pods larger than the largest free slot are skipped cheaply. */
  private retryQueue(now: number): void {
    let largestFree = this.largestFree();
    const still: number[] = [];
    for (const jobIndex of this.queue) {
      if (this.requests[jobIndex]!.cpuMillis > largestFree || !this.tryPlace(jobIndex, now)) still.push(jobIndex);
      else largestFree = this.largestFree();
    }
    this.queue = still;
  }

  private largestFree(): number {
    let best = 0;
    for (const n of this.nodes) best = Math.max(best, n.capacityMillis - n.allocatedMillis);
    return best;
  }
}
