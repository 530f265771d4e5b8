// A loopback Electricity Maps API whose intensities the test sets, so the webhook's poller reads
// a table we control (the provider fake of the unit tests, served for a real webhook process).
import { electricityMapsRoute, type EmZone } from '../../unit/poller/fakes/providers.js';
import { Loopback } from '../../unit/poller/fakes/loopback.js';

export const FAKE_EM_KEY = 'e2e-electricitymaps-key';

export class FakeElectricityMaps {
  private constructor(
    private readonly server: Loopback,
    /** Read by the route at every request, so set() changes the next answers. */
    private readonly zones: Record<string, EmZone>,
  ) {}

  static async start(intensities: Record<string, number>): Promise<FakeElectricityMaps> {
    const zones: Record<string, EmZone> = {};
    const server = await Loopback.start(electricityMapsRoute(FAKE_EM_KEY, zones));
    const fake = new FakeElectricityMaps(server, zones);
    fake.set(intensities);
    return fake;
  }

  /** Replaces the values the API reports (grid zone -> gCO2eq/kWh), stamped with the current hour. */
  set(intensities: Record<string, number>): void {
    const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000).toISOString();
    for (const key of Object.keys(this.zones)) delete this.zones[key];
    for (const [zone, value] of Object.entries(intensities)) this.zones[zone] = { carbonIntensity: value, datetime: hour };
  }

  /** Sets a zone's forecast (the zone must have a value): points at absolute times. */
  setForecast(zone: string, points: Array<{ at: number; intensity: number }>): void {
    const z = this.zones[zone];
    if (!z) throw new Error(`no value set for zone ${zone}`);
    z.forecast = points.map((p) => ({ carbonIntensity: p.intensity, datetime: new Date(p.at).toISOString() }));
  }

  /** Where it listens (ELECTRICITYMAPS_API_URL, or the chart's sources.electricityMaps.url). */
  get url(): string {
    return this.server.url;
  }

  /** The environment that points the webhook's poller at this fake (and at nothing else). */
  env(): Record<string, string> {
    return { ELECTRICITYMAPS_API_URL: this.url, ELECTRICITYMAPS_API_KEY: FAKE_EM_KEY, CARBON_SOURCES: 'electricitymaps' };
  }

  /** Requests for latest values so far. */
  latestRequests(): number {
    return this.server.hits('/v3/carbon-intensity/latest');
  }

  close(): Promise<void> {
    return this.server.close();
  }
}
