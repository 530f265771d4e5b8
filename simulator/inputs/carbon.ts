// Carbon traces for the simulator: the shared CSV reader, wrapped to name the file on bad input.
import { parseCarbonCsv, TraceFormatError, type CarbonTrace } from '../../poller/trace.js';
import { InputError } from './inputError.js';

/**
 * Reads `intensity`; a file with `actual` instead (the day-ahead file) is read through that
 * column, so the same file can serve as both the actuals and the forecast.
 */
export function parseCarbonFile(text: string, file: string): CarbonTrace {
  const header = (text.split('\n', 1)[0] ?? '').split(',').map((h) => h.trim());
  const column = !header.includes('intensity') && header.includes('actual') ? 'actual' : 'intensity';
  return parseTrace(text, file, column);
}

/** The forecast file: timestamp,zone,actual,dayahead_forecast; the forecast column is what is read. */
export function parseForecastFile(text: string, file: string): CarbonTrace {
  return parseTrace(text, file, 'dayahead_forecast');
}

function parseTrace(text: string, file: string, column: string): CarbonTrace {
  try {
    const trace = parseCarbonCsv(text, column);
    if (trace.size === 0) throw new InputError(`${file}: no intensity rows`);
    return trace;
  } catch (err) {
    if (err instanceof TraceFormatError) throw new InputError(`${file}: ${err.message}`);
    throw err;
  }
}
