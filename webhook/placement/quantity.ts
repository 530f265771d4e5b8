// Kubernetes resource quantities ("500m", "2", "1.5", "2k") as CPU millicores.

const QUANTITY = /^([+-]?\d*\.?\d+)(?:[eE]([+-]?\d+))?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

const MULTIPLIER: Readonly<Record<string, number>> = {
  '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** Millicores, or undefined for text that is not a quantity. */
export function cpuMillis(quantity: string | number | undefined): number | undefined {
  if (quantity === undefined) return undefined;
  if (typeof quantity === 'number') return Number.isFinite(quantity) ? quantity * 1000 : undefined;
  const m = QUANTITY.exec(quantity.trim());
  if (!m) return undefined;
  const [, mantissa, exponent, suffix] = m;
  const value = Number(mantissa) * 10 ** Number(exponent ?? 0) * (MULTIPLIER[suffix ?? ''] ?? 1);
  return Number.isFinite(value) && value >= 0 ? Math.ceil(value * 1000 - 1e-9) : undefined;
}
