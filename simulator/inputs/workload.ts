// The workload CSV: id,arrival_s,duration_s,cpu_m[,max_delay_s][,migratable].
import { MAX_DELAY_SECONDS } from '../../webhook/annotations/rules.js';
import { readCsvRows, type CsvRow } from './csvRows.js';
import { InputError } from './inputError.js';

export interface WorkloadRow {
  id: string;
  arrivalS: number;
  durationS: number;
  cpuMillis: number;
  /** Absent or 0: not deferrable. */
  maxDelayS?: number;
  migratable?: boolean;
}

/** A job placed on the simulation's clock (epoch milliseconds). */
export interface Job {
  /** Position in arrival order; the simulation's handle on the job. */
  index: number;
  id: string;
  arrivalMs: number;
  durationMs: number;
  cpuMillis: number;
  /** 0 when the job must start as soon as it can. */
  maxDelayMs: number;
  migratable?: boolean;
}

const REQUIRED = ['id', 'arrival_s', 'duration_s', 'cpu_m'];

export function parseWorkloadCsv(text: string, file = 'workload'): WorkloadRow[] {
  const { rows } = readCsvRows(text, file, REQUIRED);
  if (rows.length === 0) throw new InputError(`${file}: no jobs (only a header or an empty file)`);
  return rows.map((row) => parseRow(row, file));
}

function parseRow(row: CsvRow, file: string): WorkloadRow {
  const fail = (why: string): never => {
    throw new InputError(`${file} line ${row.line}: ${why}: ${row.text.slice(0, 120)}`);
  };
  const id = row.cell('id') ?? '';
  if (id === '') fail('id is empty');
  const arrivalS = number(row.cell('arrival_s'));
  if (arrivalS === undefined || arrivalS < 0) return fail('arrival_s must be a number of seconds >= 0');
  const durationS = number(row.cell('duration_s'));
  if (durationS === undefined || durationS < 0) return fail('duration_s must be a number of seconds >= 0');
  const cpuMillis = number(row.cell('cpu_m'));
  if (cpuMillis === undefined || cpuMillis < 0 || !Number.isInteger(cpuMillis)) return fail('cpu_m must be a whole number of millicores >= 0');
  return { id, arrivalS, durationS, cpuMillis, ...optionalColumns(row, fail) };
}

function optionalColumns(row: CsvRow, fail: (why: string) => never): Pick<WorkloadRow, 'maxDelayS' | 'migratable'> {
  const out: Pick<WorkloadRow, 'maxDelayS' | 'migratable'> = {};
  const delayText = row.cell('max_delay_s') ?? '';
  if (delayText !== '') {
    const delay = number(delayText);
    if (delay === undefined || delay < 0 || delay > MAX_DELAY_SECONDS) return fail(`max_delay_s must be empty or seconds from 0 to ${MAX_DELAY_SECONDS} (7d)`);
    if (delay > 0) out.maxDelayS = delay;
  }
  const migratable = row.cell('migratable') ?? '';
  if (migratable !== '') {
    if (migratable !== 'true' && migratable !== 'false') return fail('migratable must be empty, true or false');
    out.migratable = migratable === 'true';
  }
  return out;
}

function number(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Jobs on the clock, in arrival order (ties keep file order). `defaultMaxDelayS` applies to jobs
 * that carry no delay of their own.
 */
export function toJobs(rows: readonly WorkloadRow[], startMs: number, defaultMaxDelayS: number): Job[] {
  const order = rows.map((r, i) => ({ r, i })).sort((a, b) => a.r.arrivalS - b.r.arrivalS || a.i - b.i);
  return order.map(({ r }, index) => ({
    index,
    id: r.id,
    arrivalMs: startMs + Math.round(r.arrivalS * 1000),
    durationMs: Math.round(r.durationS * 1000),
    cpuMillis: r.cpuMillis,
    maxDelayMs: Math.round((r.maxDelayS ?? defaultMaxDelayS) * 1000),
    ...(r.migratable !== undefined ? { migratable: r.migratable } : {}),
  }));
}
