// A seeded random source whose whole state is one 32-bit number, so the tuner's state (and a
// simulation) stays a plain, storable, reproducible value.

/** Next uniform in [0, 1) and the next seed (mulberry32). */
export function nextUniform(seed: number): { value: number; seed: number } {
  const s = (seed + 0x6d2b79f5) >>> 0;
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return { value: ((t ^ (t >>> 14)) >>> 0) / 4294967296, seed: s };
}

/** A standard normal draw (Box–Muller) and the next seed. */
export function nextGaussian(seed: number): { value: number; seed: number } {
  const a = nextUniform(seed);
  const b = nextUniform(a.seed);
  const u1 = 1 - a.value; // (0, 1]: the log stays finite
  return { value: Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * b.value), seed: b.seed };
}
