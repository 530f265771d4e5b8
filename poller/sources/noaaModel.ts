// Weather -> renewable share -> intensity: a rough estimate around a zone's static factor (see NOAA_MODEL.md).

export interface ZoneWeatherParams {
  /** Where the sun is computed; the forecast gridpoint should be near here. */
  lat: number;
  lon: number;
  /** Typical renewable share of the zone's supply, 0..1. */
  meanRenewableShare: number;
  /** Yearly energy share of wind, 0..1: how far the wind can move the mix. */
  windShare: number;
  /** Swing of the renewable share that follows the sun (0..1, per unit of relative clear-sky output). */
  solarShare: number;
  /**
   * Mean intensity at the mean share (gCO2eq/kWh). When absent the zone's static cloud-region
   * factor is used, which is biased for several zones (see NOAA_MODEL.md).
   */
  baseIntensity?: number;
}

/**
 * Zones of the history file, fitted on 2021-2022 by scripts/noaa-model-error.ts (which warns when
 * this table drifts from its fit). windShare is each grid's rough 2022 wind share: the history has
 * no wind column to fit it on.
 */
export const ZONE_WEATHER_PARAMS: Readonly<Record<string, ZoneWeatherParams>> = {
  'US-CAL-CISO': { lat: 37.0, lon: -120.0, meanRenewableShare: 0.437, windShare: 0.07, solarShare: 0.09, baseIntensity: 200.6 },
  'US-TEX-ERCO': { lat: 31.0, lon: -98.0, meanRenewableShare: 0.307, windShare: 0.25, solarShare: 0.0, baseIntensity: 347.7 },
  'US-MIDA-PJM': { lat: 39.5, lon: -78.0, meanRenewableShare: 0.065, windShare: 0.035, solarShare: 0.006, baseIntensity: 360.7 },
  GB: { lat: 52.5, lon: -1.5, meanRenewableShare: 0.423, windShare: 0.25, solarShare: 0.033, baseIntensity: 155.6 },
  'DE-LU': { lat: 51.0, lon: 10.0, meanRenewableShare: 0.475, windShare: 0.25, solarShare: 0.048, baseIntensity: 391.0 },
  'CA-ON': { lat: 44.0, lon: -79.5, meanRenewableShare: 0.371, windShare: 0.08, solarShare: 0.0, baseIntensity: 32.7 },
  'BR-SP': { lat: -22.0, lon: -48.0, meanRenewableShare: 0.792, windShare: 0.1, solarShare: 0.004, baseIntensity: 96.8 },
  'AU-NSW': { lat: -32.5, lon: 147.0, meanRenewableShare: 0.237, windShare: 0.07, solarShare: 0.08, baseIntensity: 570.2 },
};

/** Defaults for a zone not listed: a middling grid; lat/lon then come from the gridpoint itself. */
export const DEFAULT_WEATHER_PARAMS: Omit<ZoneWeatherParams, 'lat' | 'lon'> = { meanRenewableShare: 0.25, windShare: 0.1, solarShare: 0.05 };

/** Mean capacity factor our wind proxy gives at a typical site (10 m wind scaled to hub height). */
export const MEAN_WIND_CF = 0.3;
/** Mean of the cloud attenuation below over a typical year's sky cover. */
export const MEAN_CLOUD_ATTENUATION = 0.8;

const DEG = Math.PI / 180;
const HOUR = 3_600_000;

/** Solar elevation in degrees (declination and hour angle; the equation of time is ignored: +-4 min). */
export function solarElevationDeg(t: number, lat: number, lon: number): number {
  const date = new Date(t);
  const dayOfYear = (t - Date.UTC(date.getUTCFullYear(), 0, 1)) / (24 * HOUR) + 1;
  const declination = 23.44 * DEG * Math.sin((2 * Math.PI * (284 + dayOfYear)) / 365);
  const solarHours = (((t / HOUR) % 24) + lon / 15 + 48) % 24;
  const hourAngle = (solarHours - 12) * 15 * DEG;
  const phi = lat * DEG;
  const s = Math.sin(phi) * Math.sin(declination) + Math.cos(phi) * Math.cos(declination) * Math.cos(hourAngle);
  return Math.asin(Math.max(-1, Math.min(1, s))) / DEG;
}

/** Clear-sky output of a fixed panel relative to its peak: the sine of the sun's elevation. */
export function clearSkySolarCf(t: number, lat: number, lon: number): number {
  return Math.max(0, Math.sin(solarElevationDeg(t, lat, lon) * DEG));
}

/** Kasten & Czeplak's cloud attenuation of global irradiance, from sky cover in percent. */
export function cloudAttenuation(skyCoverPct: number): number {
  const c = Math.min(100, Math.max(0, skyCoverPct)) / 100;
  return 1 - 0.75 * c ** 3.4;
}

/** A generic turbine: 10 m wind scaled to 80 m (1/7 power law), cut-in 3, rated 12, cut-out 25 m/s. */
export function windCapacityFactor(windKmh10m: number): number {
  const v = (Math.max(0, windKmh10m) / 3.6) * (80 / 10) ** (1 / 7);
  if (v < 3 || v >= 25) return 0;
  if (v >= 12) return 1;
  return (v ** 3 - 27) / (12 ** 3 - 27);
}

const clearSkyMeans = new Map<string, number>();

/** Yearly mean of clearSkySolarCf at a place (hourly over one year), memoised. */
export function meanClearSkySolarCf(lat: number, lon: number): number {
  const key = `${lat.toFixed(2)},${lon.toFixed(2)}`;
  let mean = clearSkyMeans.get(key);
  if (mean === undefined) {
    const start = Date.UTC(2023, 0, 1);
    let sum = 0;
    for (let h = 0; h < 8760; h++) sum += clearSkySolarCf(start + h * HOUR + HOUR / 2, lat, lon);
    mean = sum / 8760;
    clearSkyMeans.set(key, mean);
  }
  return mean;
}

export interface WeatherHour {
  /** Start of the hour, ms since epoch. */
  t: number;
  windKmh?: number;
  skyCoverPct?: number;
}

/**
 * Renewable share: the zone's mean, moved by how far wind and sun are from their means, each
 * weighted by its yearly share. Missing weather counts as average.
 */
export function estimateRenewableShare(params: ZoneWeatherParams, hour: WeatherHour): number {
  const windCf = hour.windKmh === undefined ? MEAN_WIND_CF : windCapacityFactor(hour.windKmh);
  const clouds = hour.skyCoverPct === undefined ? MEAN_CLOUD_ATTENUATION : cloudAttenuation(hour.skyCoverPct);
  const solarCf = clearSkySolarCf(hour.t + HOUR / 2, params.lat, params.lon) * clouds;
  const solarMean = meanClearSkySolarCf(params.lat, params.lon) * MEAN_CLOUD_ATTENUATION;
  const r = params.meanRenewableShare + params.windShare * (windCf / MEAN_WIND_CF - 1) + params.solarShare * (solarCf / solarMean - 1);
  return Math.min(0.98, Math.max(0, r));
}

/**
 * Emissions scale with the non-renewable part of the supply; the static factor is taken as the
 * intensity at the mean share, so intensity = static x (1 - r) / (1 - mean r).
 */
export function intensityFromShare(staticFactor: number, share: number, meanShare: number): number {
  const base = Math.max(0.02, 1 - meanShare);
  return Math.max(0, (staticFactor * (1 - share)) / base);
}
