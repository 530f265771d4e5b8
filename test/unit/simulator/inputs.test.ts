import { expect } from 'chai';
import { parseCarbonFile } from '../../../simulator/inputs/carbon.js';
import { parseClusterJson } from '../../../simulator/inputs/cluster.js';
import { InputError } from '../../../simulator/inputs/inputError.js';
import { parseWorkloadCsv, toJobs } from '../../../simulator/inputs/workload.js';
import { T0 } from './helpers.js';

describe('simulator inputs', () => {
  it('reads the workload with optional delay and migratable columns, in arrival order', () => {
    const rows = parseWorkloadCsv('id,arrival_s,duration_s,cpu_m,max_delay_s,migratable\nb,10,60,500,,\na,5,30,1000,3600,true\n');
    const jobs = toJobs(rows, T0, 600);
    expect(jobs.map((j) => [j.id, j.index, j.arrivalMs - T0, j.maxDelayMs, j.migratable])).to.deep.equal([
      ['a', 0, 5000, 3_600_000, true],
      ['b', 1, 10_000, 600_000, undefined],
    ]);
  });

  it('names the line and the problem of a bad workload row', () => {
    expect(() => parseWorkloadCsv('id,arrival_s,duration_s,cpu_m\nj,0,10,100\nk,-5,10,100\n', 'w.csv')).to.throw(InputError, /w\.csv line 3: arrival_s/);
    expect(() => parseWorkloadCsv('id,arrival_s,duration_s,cpu_m\nj,0,10,1.5\n', 'w.csv')).to.throw(InputError, /cpu_m/);
    expect(() => parseWorkloadCsv('id,arrival_s,duration_s,cpu_m,max_delay_s\nj,0,10,100,999999\n', 'w.csv')).to.throw(InputError, /max_delay_s/);
    expect(() => parseWorkloadCsv('id,arrival,duration_s,cpu_m\n', 'w.csv')).to.throw(InputError, /missing arrival_s/);
  });

  it('checks the cluster file field by field', () => {
    const ok = parseClusterJson('{"zones":[{"name":"z1","grid":"GB","nodes":2,"cpu_m":16000}],"watts_idle":100,"watts_per_core":12}');
    expect(ok).to.deep.equal({ zones: [{ name: 'z1', grid: 'GB', nodes: 2, cpuMillis: 16000 }], wattsIdle: 100, wattsPerCore: 12 });
    expect(() => parseClusterJson('{"zones":[{"name":"z1","grid":"GB","nodes":0,"cpu_m":16000}],"watts_idle":100,"watts_per_core":12}', 'c.json')).to.throw(InputError, /zones\[0\]\.nodes/);
    expect(() => parseClusterJson('{"zones":[]}', 'c.json')).to.throw(InputError, /non-empty/);
    expect(() => parseClusterJson('{"zones":[{"name":"z1","grid":"GB","nodes":1,"cpu_m":1}]}', 'c.json')).to.throw(InputError, /watts_idle/);
    expect(() => parseClusterJson('{zones', 'c.json')).to.throw(InputError, /not valid JSON/);
  });

  it('reads carbon files by intensity, or by actual for the day-ahead file, naming the file on errors', () => {
    expect(parseCarbonFile('timestamp,zone,intensity\n2024-01-01T00:00:00Z,GB,100\n', 'c.csv').get('GB')).to.have.length(1);
    expect(parseCarbonFile('timestamp,zone,actual,dayahead_forecast\n2024-01-01T00:00:00Z,CISO,100,90\n', 'd.csv').get('CISO')![0]!.intensity).to.equal(100);
    expect(() => parseCarbonFile('timestamp,zone,intensity\nyesterday,GB,100\n', 'c.csv')).to.throw(InputError, /c\.csv: .*line 2/);
  });
});
