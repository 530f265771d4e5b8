// Loopback carbon APIs whose intensities the test sets, so the webhook's poller reads a table we
// control (the provider fakes of the unit tests, served for a real webhook process).
import { electricityMapsRoute, ukciRoute, type EmZone, type UkciFake } from '../../unit/poller/fakes/providers.js';
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

/**
 * A loopback UK Carbon Intensity API (keyless): national intensity from `national(t)` for the
 * half hour of the current time, read at each request (so a virtual clock moves it too).
 */
export class FakeUkCarbonIntensity {
  private constructor(private readonly server: Loopback) {}

  static async start(national: (halfHourStart: number) => number): Promise<FakeUkCarbonIntensity> {
    const fake: UkciFake = {
      national,
      get nationalActual() {
        return national(Math.floor(Date.now() / 1_800_000) * 1_800_000);
      },
      regions: {},
      get now() {
        return Date.now();
      },
    };
    return new FakeUkCarbonIntensity(await Loopback.start(ukciRoute(fake)));
  }

  /** Where it listens (UKCI_API_URL, or the chart's sources.ukCarbonIntensity.url). */
  get url(): string {
    return this.server.url;
  }

  /** Requests for the national intensity so far. */
  intensityRequests(): number {
    return this.server.hits('/intensity');
  }

  close(): Promise<void> {
    return this.server.close();
  }
}
