// npm run simulate: read the inputs, run the policies, print the result (JSON or a table).
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseCarbonFile, parseForecastFile } from './inputs/carbon.js';
import { parseClusterJson } from './inputs/cluster.js';
import { InputError } from './inputs/inputError.js';
import { parseWorkloadCsv } from './inputs/workload.js';
import { parseCliArgs, USAGE, type CliOptions } from './options.js';
import { terminalProgress } from './progressBar.js';
import { formatTable } from './report/textTable.js';
import { summarize } from './report/summary.js';
import { writeReport } from './report/writeReport.js';
import { simulate, type ForecastMode, type SimInputs, type SimProgress, type SimSettings } from './simulate.js';
import { formatSweep, runSweep } from './tuning/sweep.js';
import { CorruptModelError, parseModel } from '../tuner/modelStore.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  progress: SimProgress;
}

const EXIT_BAD_INPUT = 2;
const EXIT_FAILURE = 1;

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const options = parseCliArgs(argv);
    if (options.help) {
      io.stdout(USAGE);
      return 0;
    }
    const inputs = await readInputs(options);
    const settings: SimSettings = {
      ...(options.startMs !== undefined ? { startMs: options.startMs } : {}),
      defaultMaxDelayS: options.defaultMaxDelayS,
      policies: options.policies,
      placement: options.placement,
      forecast: await forecastMode(options.forecast),
      forecastHorizonMs: options.forecastHours * 3_600_000,
      seed: options.seed,
      hourly: options.outDir !== undefined,
      migration: options.migration,
      tuner: { ...options.tuner, ...(options.tunerModelFile !== undefined ? { model: await readModel(options.tunerModelFile) } : {}) },
    };
    if (options.sweep) {
      const sweep = runSweep(inputs, { ...settings, hourly: false }, options.sweep, io.progress);
      io.stdout(options.json ? JSON.stringify(sweep) + '\n' : formatSweep(sweep));
      return 0;
    }
    const result = simulate(inputs, settings, io.progress);
    const summary = summarize(result);
    if (result.jobsSkipped > 0) io.stderr(`warning: ${result.jobsSkipped} of ${result.jobsTotal} jobs arrive after the carbon data ends and were left out\n`);
    if (options.outDir !== undefined) {
      const files = await writeReport(options.outDir, result, summary);
      io.stderr(`wrote ${files.length} files to ${options.outDir}\n`);
    }
    io.stdout(options.json ? JSON.stringify(summary) + '\n' : formatTable(summary));
    return 0;
  } catch (err) {
    if (err instanceof InputError) {
      io.stderr(`simulate: ${err.message}\n`);
      return EXIT_BAD_INPUT;
    }
    io.stderr(`simulate: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT_FAILURE;
  }
}

/** The three input files, read and parsed; a missing or bad file is an InputError naming its flag. */
export async function readInputs(options: CliOptions): Promise<SimInputs> {
  const [carbonText, workloadText, clusterText] = await Promise.all([
    readText(options.carbonFile, '--carbon'),
    readText(options.workloadFile, '--workload'),
    readText(options.clusterFile, '--cluster'),
  ]);
  return {
    carbon: parseCarbonFile(carbonText, options.carbonFile),
    workload: parseWorkloadCsv(workloadText, options.workloadFile),
    cluster: parseClusterJson(clusterText, options.clusterFile),
  };
}

/** A saved tuner model (the tuner's model.json document): its learned model only. */
async function readModel(file: string): Promise<NonNullable<SimSettings['tuner']>['model']> {
  const text = await readText(file, '--tuner-model');
  try {
    return parseModel(text).state.model;
  } catch (err) {
    if (err instanceof CorruptModelError) throw new InputError(`--tuner-model ${file}: not a tuner model: ${err.message}`);
    throw err;
  }
}

async function forecastMode(value: string): Promise<ForecastMode> {
  if (value === 'perfect' || value === 'persistence') return { kind: value };
  if (!value.endsWith('.csv')) throw new InputError(`--forecast ${JSON.stringify(value)} must be perfect, persistence or a .csv file`);
  return { kind: 'file', name: value, trace: parseForecastFile(await readText(value, '--forecast'), value) };
}

async function readText(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new InputError(`${flag} ${file}: ${why}`);
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const io: CliIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), progress: terminalProgress() };
  runCli(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`simulate: ${String(err)}\n`);
      process.exitCode = EXIT_FAILURE;
    },
  );
}
